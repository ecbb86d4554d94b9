using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Client.Index;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth tag-rule create|list|delete</c> and <c>berth retention create|list|delete</c>: the tag immutability rules
/// and retention policies of a repository, an organisation or the signed-in user's namespace, through the index REST
/// API (docs/API.md, "Tag rules and retention"). Targets as <c>berth webhook</c>'s.
/// </summary>
internal static class TagPolicyCommands
{
    private const string PatternHelp = "A tag pattern: * matches any run of characters, ? one (e.g. v*, release-*)";

    public static Command Rules(GlobalOptions globals)
    {
        var command = new Command("tag-rule", "Manage the tag immutability rules of a repository, an organisation or your own namespace on a Berth index (admins)");
        command.Subcommands.Add(CreateRule(globals));
        command.Subcommands.Add(ListRules(globals));
        command.Subcommands.Add(Delete(globals, "tag rule", (index, owner, id, ct) => index.DeleteTagRuleAsync(owner, id, ct)));
        return command;
    }

    public static Command Retention(GlobalOptions globals)
    {
        var command = new Command("retention", "Manage the retention policies of a repository, an organisation or your own namespace on a Berth index (admins)");
        command.Subcommands.Add(CreatePolicy(globals));
        command.Subcommands.Add(ListPolicies(globals));
        command.Subcommands.Add(Delete(globals, "retention policy", (index, owner, id, ct) => index.DeleteRetentionPolicyAsync(owner, id, ct)));
        return command;
    }

    private static Command CreateRule(GlobalOptions globals)
    {
        var scope = new WebhookCommands.Scope("tag rules");
        var pattern = new Argument<string>("PATTERN") { Description = PatternHelp };
        var command = new Command("create", "Make the tags matching PATTERN immutable: they can no longer be moved to another manifest or deleted") { pattern };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var rule = await index.CreateTagRuleAsync(owner, parse.GetValue(pattern)!, cancellationToken);
            context.Human($"created tag rule {Id(rule.Id)} for {owner} on {registry}: tags {rule.Pattern} are immutable");
            context.Quiet(Id(rule.Id));
            context.Json(IndexCommands.Node(rule, IndexJson.Default.TagRuleInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListRules(GlobalOptions globals)
    {
        var scope = new WebhookCommands.Scope("tag rules");
        var command = new Command("list", "List the tag immutability rules");
        command.Aliases.Add("ls");
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var rules = await index.ListTagRulesAsync(owner, cancellationToken);
            context.Json(IndexCommands.Node(rules.ToList(), IndexJson.Default.ListTagRuleInfo));
            foreach (var rule in rules)
            {
                context.Quiet(Id(rule.Id));
            }

            if (context.Mode == OutputMode.Human)
            {
                if (rules.Count == 0)
                {
                    context.Error.WriteLine($"no tag rules for {owner} on {registry}");
                    return ExitCodes.Success;
                }

                TextTable.Write(context.Out, ["ID", "PATTERN", "CREATED"], [.. rules.Select(r => new[] { Id(r.Id), r.Pattern, Created(r.CreatedAt, r.CreatedBy) })], 0);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreatePolicy(GlobalOptions globals)
    {
        var scope = new WebhookCommands.Scope("retention policies");
        var pattern = new Argument<string>("PATTERN") { Description = PatternHelp };
        var keepLast = new Option<int?>("--keep-last") { Description = "Keep the N most recently pushed matching tags" };
        var keepDays = new Option<int?>("--keep-days") { Description = "Keep the matching tags pushed within D days" };
        var command = new Command("create", "Keep only the matching tags --keep-last and/or --keep-days keep; garbage collection untags the others")
        {
            pattern, keepLast, keepDays,
        };
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            var (last, days) = (parse.GetValue(keepLast), parse.GetValue(keepDays));
            if (last is null && days is null)
            {
                throw new UsageException("give --keep-last, --keep-days or both");
            }

            using var index = IndexCommands.Index(context, registry);
            var policy = await index.CreateRetentionPolicyAsync(owner, parse.GetValue(pattern)!, last, days, cancellationToken);
            context.Human($"created retention policy {Id(policy.Id)} for {owner} on {registry}: {Describe(policy)}");
            context.Quiet(Id(policy.Id));
            context.Json(IndexCommands.Node(policy, IndexJson.Default.RetentionPolicyInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListPolicies(GlobalOptions globals)
    {
        var scope = new WebhookCommands.Scope("retention policies");
        var command = new Command("list", "List the retention policies");
        command.Aliases.Add("ls");
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            using var index = IndexCommands.Index(context, registry);
            var policies = await index.ListRetentionPoliciesAsync(owner, cancellationToken);
            context.Json(IndexCommands.Node(policies.ToList(), IndexJson.Default.ListRetentionPolicyInfo));
            foreach (var policy in policies)
            {
                context.Quiet(Id(policy.Id));
            }

            if (context.Mode == OutputMode.Human)
            {
                if (policies.Count == 0)
                {
                    context.Error.WriteLine($"no retention policies for {owner} on {registry}");
                    return ExitCodes.Success;
                }

                TextTable.Write(
                    context.Out,
                    ["ID", "PATTERN", "KEEP LAST", "KEEP DAYS", "CREATED"],
                    [.. policies.Select(p => new[] { Id(p.Id), p.Pattern, Number(p.KeepLast), Number(p.KeepDays), Created(p.CreatedAt, p.CreatedBy) })],
                    0);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete(GlobalOptions globals, string what, Func<IIndexClient, WebhookOwner, long, CancellationToken, Task> delete)
    {
        var scope = new WebhookCommands.Scope(what == "tag rule" ? "tag rules" : "retention policies");
        var id = new Argument<long>("ID") { Description = $"The {what}'s id (from list)" };
        var command = new Command("delete", what == "tag rule" ? "Lift a tag immutability rule" : "Delete a retention policy") { id };
        command.Aliases.Add("rm");
        scope.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, owner) = scope.Resolve(parse);
            var deleted = parse.GetValue(id);
            using var index = IndexCommands.Index(context, registry);
            await delete(index, owner, deleted, cancellationToken);
            context.Human($"deleted {what} {Id(deleted)} of {owner} on {registry}");
            context.Quiet(Id(deleted));
            context.Json(new JsonObject { ["id"] = deleted, ["deleted"] = true });
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Describe(RetentionPolicyInfo policy) =>
        $"of the tags {policy.Pattern}, keep " + string.Join(" and ", new[]
        {
            policy.KeepLast is { } last ? $"the last {Number(last)} pushed" : null,
            policy.KeepDays is { } days ? $"those pushed within {Number(days)} days" : null,
        }.OfType<string>());

    private static string Created(DateTime at, string? by) => IndexCommands.Time(at) + (by is null ? "" : $" by {by}");

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
