using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Client.References;

namespace Berth.Cli.Commands;

/// <summary><c>berth tags REPO</c> and <c>berth catalog HOST</c>: every page, one name per line.</summary>
internal static class ListCommands
{
    public static Command Tags(GlobalOptions globals)
    {
        var repository = new Argument<string>("REPO") { Description = "HOST[:PORT]/REPO" };
        var pageSize = new Option<int?>("--page-size") { Description = "Ask the registry for pages of this many tags" };
        var command = new Command("tags", "List the tags of a repository") { repository, pageSize };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var reference = Locations.Registry(parse.GetValue(repository)!);
            var client = context.Registries.ForRegistry(reference.Registry);
            var tags = new List<string>();
            await foreach (var tag in client.ListTagsAsync(reference.Repository, parse.GetValue(pageSize), cancellationToken))
            {
                tags.Add(tag);
                if (context.Mode != Output.OutputMode.Json)
                {
                    context.Out.WriteLine(tag);
                }
            }

            context.Json(new JsonObject { ["name"] = reference.Repository, ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]) });
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Catalog(GlobalOptions globals)
    {
        var host = new Argument<string>("HOST") { Description = "HOST[:PORT] of the registry" };
        var pageSize = new Option<int?>("--page-size") { Description = "Ask the registry for pages of this many names" };
        var command = new Command("catalog", "List the repositories of a registry (those you may see)") { host, pageSize };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var registry = parse.GetValue(host)!.TrimEnd('/');
            if (registry.StartsWith("docker://", StringComparison.Ordinal))
            {
                registry = registry["docker://".Length..];
            }

            if (registry.Contains('/', StringComparison.Ordinal) || !ImageReference.TryParse(registry + "/x", out _, out _))
            {
                throw new UsageException($"'{registry}' is not a registry host: write HOST[:PORT]");
            }

            var names = new List<string>();
            await foreach (var name in context.Registries.ForRegistry(registry).CatalogAsync(parse.GetValue(pageSize), cancellationToken))
            {
                names.Add(name);
                if (context.Mode != Output.OutputMode.Json)
                {
                    context.Out.WriteLine(name);
                }
            }

            context.Json(new JsonObject { ["repositories"] = new JsonArray([.. names.Select(n => (JsonNode)n)]) });
            return ExitCodes.Success;
        });
        return command;
    }
}
