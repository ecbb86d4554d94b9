using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Client.Index;
using Berth.Client.References;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth webhook create|list|show|update|delete|rotate-secret|ping|deliveries|redeliver</c>: the webhooks of a
/// repository, an organisation or the signed-in user's namespace, through the index REST API (docs/API.md, "Webhooks").
/// Every subcommand names its target as <c>HOST/NAMESPACE/NAME</c> (a repository) or <c>HOST</c> with <c>--org</c> or
/// <c>--user</c>.
/// </summary>
internal static class WebhookCommands
{
    private const string TargetHelp = "HOST[:PORT]/NAMESPACE/NAME for a repository's webhooks; HOST[:PORT] with --org ORG or --user";

    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("webhook", "Manage the webhooks of a repository, an organisation or your own namespace on a Berth index (admins)");
        command.Subcommands.Add(CreateWebhook(globals));
        command.Subcommands.Add(List(globals));
        command.Subcommands.Add(Show(globals));
        command.Subcommands.Add(Update(globals));
        command.Subcommands.Add(Delete(globals));
        command.Subcommands.Add(RotateSecret(globals));
        command.Subcommands.Add(Ping(globals));
        command.Subcommands.Add(Deliveries(globals));
        command.Subcommands.Add(Redeliver(globals));
        return command;
    }

    /// <summary>
    /// The target argument and the options that pick the scope, shared by every subcommand (and by <c>berth tag-rule</c>
    /// and <c>berth retention</c>, whose scopes are the same); <paramref name="what"/> names what is managed in the help.
    /// </summary>
    internal sealed class Scope(string what = "webhooks")
    {
        public Argument<string> Target { get; } = new("TARGET") { Description = TargetHelp.Replace("webhooks", what, StringComparison.Ordinal) };

        public Option<string?> Org { get; } = new("--org") { Description = $"The {what} of this organisation (its owners), on the index TARGET names" };

        public Option<bool> User { get; } = new("--user") { Description = $"The {what} of your own namespace, on the index TARGET names" };

        public void AddTo(Command command)
        {
            // TARGET comes before the subcommand's own arguments (ID, DELIVERY).
            command.Arguments.Insert(0, Target);
            command.Options.Add(Org);
            command.Options.Add(User);
        }

        public (string Registry, WebhookOwner Owner) Resolve(ParseResult parse)
        {
            var target = parse.GetValue(Target)!;
            var org = parse.GetValue(Org);
            var user = parse.GetValue(User);
            if (org is not null && user)
            {
                throw new UsageException("--org or --user, not both");
            }

            if (org is null && !user)
            {
                var repository = IndexCommands.Repository(target);
                return (repository.Registry, WebhookOwner.Repository(repository.Repository));
            }

            if (target.StartsWith("docker://", StringComparison.Ordinal))
            {
                target = target["docker://".Length..];
            }

            if (target.Length == 0 || target.Contains('/', StringComparison.Ordinal) || !ImageReference.TryParse(target + "/x", out var probe, out _) || probe.Registry != target)
            {
                throw new UsageException($"with --org or --user, TARGET is the index alone (HOST[:PORT]), not '{target}'");
            }

            if (org is not null && (org.Length == 0 || org.Contains('/', StringComparison.Ordinal)))
            {
                throw new UsageException($"'{org}' is not an organisation name");
            }

            return (target, org is null ? WebhookOwner.User : WebhookOwner.Organization(org));
        }
    }

    private static Command CreateWebhook(GlobalOptions globals)
    {
        var scope = new Scope();
        var url = new Option<string>("--url") { Description = "Where events are POSTed: an absolute http or https URL", Required = true };
        var events = Events("Subscribe to this event type (repeat for several; default: all of them)");
        var disabled = new Option<bool>("--disabled") { Description = "Create it disabled: nothing is delivered until it is enabled" };
        var description = new Option<string?>("--description", "-d") { Description = "What it is for (at most 1000 characters)" };
        var command = new Command("create", "Create a webhook and print its signing secret, which is shown only this once")
        {
            url, events, disabled, description,
        };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            // None given: the index's default, every event type.
            var chosen = parse.GetValue(events) is { Length: > 0 } e ? e : null;
            using var index = IndexCommands.Index(context, registry);
            var created = await index.CreateWebhookAsync(owner, parse.GetValue(url)!, chosen, !parse.GetValue(disabled), parse.GetValue(description), cancellationToken);
            context.Human($"created webhook {Id(created.Id)} for {owner} on {registry}: {created.Url} ({string.Join(", ", created.Events)})");
            context.Human($"secret: {created.Secret}");
            context.Quiet($"{Id(created.Id)} {created.Secret}");
            context.Json(IndexCommands.Node(created, IndexJson.Default.CreatedWebhookInfo));
            WarnOnce(context);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var scope = new Scope();
        var command = new Command("list", "List the webhooks (never their secrets)");
        command.Aliases.Add("ls");
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var webhooks = await index.ListWebhooksAsync(owner, cancellationToken);
            context.Json(IndexCommands.Node(webhooks.ToList(), IndexJson.Default.ListWebhookInfo));
            foreach (var webhook in webhooks)
            {
                context.Quiet(Id(webhook.Id));
            }

            if (context.Mode == OutputMode.Human)
            {
                if (webhooks.Count == 0)
                {
                    context.Error.WriteLine($"no webhooks for {owner} on {registry}");
                    return ExitCodes.Success;
                }

                TextTable.Write(
                    context.Out,
                    ["ID", "URL", "STATE", "EVENTS"],
                    [.. webhooks.Select(w => new[] { Id(w.Id), w.Url, State(w), string.Join(",", w.Events) })],
                    0);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var command = new Command("show", "Show a webhook: URL, events, state, and why Berth disabled it if it did") { id };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var webhook = await index.GetWebhookAsync(owner, parse.GetValue(id), cancellationToken);
            Print(context, webhook);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Update(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var url = new Option<string?>("--url") { Description = "A new target URL" };
        var events = Events("Subscribe to exactly these event types from now on (repeat for several)");
        var enable = new Option<bool>("--enable") { Description = "Enable it (also clears why Berth disabled it)" };
        var disable = new Option<bool>("--disable") { Description = "Disable it: nothing is delivered until it is enabled" };
        var description = new Option<string?>("--description", "-d") { Description = "A new description; \"\" clears it" };
        var command = new Command("update", "Change a webhook's URL, events, description, or enable or disable it; what is not given stays")
        {
            id, url, events, enable, disable, description,
        };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            bool? enabled = (parse.GetValue(enable), parse.GetValue(disable)) switch
            {
                (true, true) => throw new UsageException("--enable or --disable, not both"),
                (true, false) => true,
                (false, true) => false,
                _ => null,
            };
            var chosen = parse.GetValue(events) is { Length: > 0 } e ? e : null;
            var newUrl = parse.GetValue(url);
            var newDescription = parse.GetValue(description);
            if (enabled is null && chosen is null && newUrl is null && newDescription is null)
            {
                throw new UsageException("nothing to change: give --url, --event, --description, --enable or --disable");
            }

            using var index = IndexCommands.Index(context, registry);
            var webhook = await index.UpdateWebhookAsync(owner, parse.GetValue(id), newUrl, chosen, enabled, newDescription, cancellationToken);
            context.Human($"updated webhook {Id(webhook.Id)}: {webhook.Url} ({State(webhook)}; {string.Join(", ", webhook.Events)})");
            context.Quiet(Id(webhook.Id));
            context.Json(IndexCommands.Node(webhook, IndexJson.Default.WebhookInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var command = new Command("delete", "Delete a webhook and its delivery log (cannot be undone)") { id };
        command.Aliases.Add("rm");
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            var webhookId = parse.GetValue(id);
            using var index = IndexCommands.Index(context, registry);
            await index.DeleteWebhookAsync(owner, webhookId, cancellationToken);
            context.Human($"deleted webhook {Id(webhookId)} of {owner} on {registry}");
            context.Quiet(Id(webhookId));
            context.Json(new JsonObject { ["id"] = webhookId, ["deleted"] = true });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RotateSecret(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var command = new Command("rotate-secret", "Replace a webhook's signing secret and print the new one, shown only this once; deliveries are signed with it from now on") { id };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var rotated = await index.RotateWebhookSecretAsync(owner, parse.GetValue(id), cancellationToken);
            context.Human($"new secret for webhook {Id(rotated.Id)}: {rotated.Secret}");
            context.Quiet(rotated.Secret);
            context.Json(IndexCommands.Node(rotated, IndexJson.Default.CreatedWebhookInfo));
            WarnOnce(context);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Ping(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var command = new Command("ping", "Queue a ping delivery to a webhook, whatever events it subscribes to; see it with `berth webhook deliveries`") { id };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var delivery = await index.PingWebhookAsync(owner, parse.GetValue(id), cancellationToken);
            context.Human($"queued ping delivery {Id(delivery.Id)} ({delivery.MessageId})");
            context.Quiet(Id(delivery.Id));
            context.Json(IndexCommands.Node(delivery, IndexJson.Default.WebhookDeliveryInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Deliveries(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var limit = new Option<int>("--limit") { Description = "Show at most this many, newest first (1-100)", DefaultValueFactory = _ => 25 };
        var command = new Command("deliveries", "List a webhook's deliveries, newest first: event, state, attempts and the last status code") { id, limit };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            var count = parse.GetValue(limit);
            if (count is < 1 or > 100)
            {
                throw new UsageException("--limit must be between 1 and 100");
            }

            using var index = IndexCommands.Index(context, registry);
            var deliveries = await index.ListWebhookDeliveriesAsync(owner, parse.GetValue(id), count, cancellationToken);
            context.Json(IndexCommands.Node(deliveries.ToList(), IndexJson.Default.ListWebhookDeliveryInfo));
            foreach (var delivery in deliveries)
            {
                context.Quiet(Id(delivery.Id));
            }

            if (context.Mode == OutputMode.Human)
            {
                if (deliveries.Count == 0)
                {
                    context.Error.WriteLine("no deliveries yet");
                    return ExitCodes.Success;
                }

                TextTable.Write(
                    context.Out,
                    ["ID", "EVENT", "STATE", "ATTEMPTS", "STATUS", "CREATED", "MESSAGE ID"],
                    [.. deliveries.Select(d => new[]
                    {
                        Id(d.Id), d.EventType, d.State, d.Attempts.ToString(CultureInfo.InvariantCulture),
                        d.LastStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "-", IndexCommands.Time(d.CreatedAt), d.MessageId,
                    })],
                    0, 3, 4);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Redeliver(GlobalOptions globals)
    {
        var scope = new Scope();
        var id = IdArgument();
        var delivery = new Argument<long>("DELIVERY") { Description = "The delivery to send again (an ID from `berth webhook deliveries`)" };
        var command = new Command("redeliver", "Queue a delivery again, with the same payload and message id") { id, delivery };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var queued = await index.RedeliverWebhookAsync(owner, parse.GetValue(id), parse.GetValue(delivery), cancellationToken);
            context.Human($"queued delivery {Id(queued.Id)}, a redelivery of {Id(parse.GetValue(delivery))} ({queued.MessageId})");
            context.Quiet(Id(queued.Id));
            context.Json(IndexCommands.Node(queued, IndexJson.Default.WebhookDeliveryInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Argument<long> IdArgument() => new("ID") { Description = "The webhook's id (from `berth webhook list`)" };

    private static Option<string[]> Events(string description)
    {
        var option = new Option<string[]>("--event", "-e")
        {
            Description = $"{description}: {string.Join(", ", WebhookEvents.Subscribable)}",
            AllowMultipleArgumentsPerToken = false,
        };
        option.AcceptOnlyFromAmong([.. WebhookEvents.Subscribable]);
        return option;
    }

    private static void Print(CliContext context, WebhookInfo webhook)
    {
        context.Json(IndexCommands.Node(webhook, IndexJson.Default.WebhookInfo));
        context.Quiet(webhook.Url);
        if (context.Mode != OutputMode.Human)
        {
            return;
        }

        var output = context.Out;
        output.WriteLine($"ID:          {Id(webhook.Id)}");
        output.WriteLine($"URL:         {webhook.Url}");
        output.WriteLine($"State:       {State(webhook)}");
        output.WriteLine($"Events:      {string.Join(", ", webhook.Events)}");
        if (!string.IsNullOrWhiteSpace(webhook.Description))
        {
            output.WriteLine($"Description: {TextTable.OneLine(webhook.Description, 200)}");
        }

        output.WriteLine($"Created:     {IndexCommands.Time(webhook.CreatedAt)}{(webhook.CreatedBy is { } by ? $" by {by}" : "")}");
        if (webhook.FailingSince is { } failing)
        {
            output.WriteLine($"Failing:     since {IndexCommands.Time(failing)}");
        }

        if (webhook.DisabledReason is { } reason)
        {
            output.WriteLine($"Disabled:    {(webhook.DisabledAt is { } at ? IndexCommands.Time(at) + ": " : "")}{reason}");
        }
    }

    private static string State(WebhookInfo webhook) => webhook.Enabled ? "enabled" : webhook.DisabledReason is null ? "disabled" : "disabled by Berth";

    private static void WarnOnce(CliContext context)
    {
        if (context.Mode == OutputMode.Human)
        {
            context.Error.WriteLine("Store this secret now: Berth will not show it again (`berth webhook rotate-secret` makes a new one).");
        }
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
