using System.CommandLine;
using Berth.Cli.Output;
using Berth.Client.Index;
using Berth.Client.References;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth repo create|visibility|delete|show</c>: repositories as Berth's index keeps them (visibility, description,
/// stars, pulls, tags with digests and sizes).
/// </summary>
internal static class RepoCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("repo", "Create, show, change the visibility of and delete repositories on a Berth index");
        command.Subcommands.Add(CreateRepository(globals));
        command.Subcommands.Add(Visibility(globals));
        command.Subcommands.Add(Delete(globals));
        command.Subcommands.Add(Show(globals));
        return command;
    }

    private static Command CreateRepository(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = IndexCommands.RepositoryHelp };
        var isPublic = new Option<bool>("--public") { Description = "Anyone may see and pull it" };
        var isPrivate = new Option<bool>("--private") { Description = "Only you and those you grant access (the index's default unless configured otherwise)" };
        var description = new Option<string?>("--description", "-d") { Description = "What it holds (Markdown)" };
        var command = new Command("create", "Create a repository (pushing to a new name creates one too, with the index's default visibility)")
        {
            reference, isPublic, isPrivate, description,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = IndexCommands.Repository(parse.GetValue(reference)!);
            RepositoryVisibility? visibility = (parse.GetValue(isPublic), parse.GetValue(isPrivate)) switch
            {
                (true, true) => throw new UsageException("--public or --private, not both"),
                (true, false) => RepositoryVisibility.Public,
                (false, true) => RepositoryVisibility.Private,
                _ => null,
            };
            using var index = IndexCommands.Index(context, target.Registry);
            var created = await index.CreateRepositoryAsync(target.Repository, visibility, parse.GetValue(description), cancellationToken);
            context.Human($"created {target} ({created.Visibility})");
            context.Quiet(target.ToString());
            context.Json(IndexCommands.Node(created, IndexJson.Default.RepositoryInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Visibility(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = IndexCommands.RepositoryHelp };
        var word = new Argument<string>("VISIBILITY") { Description = "public or private" };
        word.AcceptOnlyFromAmong("public", "private");
        var command = new Command("visibility", "Make a repository public or private (needs admin on it)") { reference, word };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = IndexCommands.Repository(parse.GetValue(reference)!);
            var visibility = parse.GetValue(word) == "public" ? RepositoryVisibility.Public : RepositoryVisibility.Private;
            using var index = IndexCommands.Index(context, target.Registry);
            var updated = await index.UpdateRepositoryAsync(target.Repository, visibility, description: null, cancellationToken);
            context.Human($"{target} is {updated.Visibility}");
            context.Quiet(updated.Visibility);
            context.Json(IndexCommands.Node(updated, IndexJson.Default.RepositoryInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = IndexCommands.RepositoryHelp };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask (needed when there is no terminal to ask on)" };
        var command = new Command("delete", "Delete a repository with its tags and manifests (needs admin on it; cannot be undone)") { reference, yes };
        command.Aliases.Add("rm");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = IndexCommands.Repository(parse.GetValue(reference)!);
            if (!parse.GetValue(yes) && !Confirm(context, target))
            {
                context.Error.WriteLine("not deleted");
                return ExitCodes.Failure;
            }

            using var index = IndexCommands.Index(context, target.Registry);
            await index.DeleteRepositoryAsync(target.Repository, cancellationToken);
            context.Human($"deleted {target}");
            context.Quiet(target.ToString());
            context.Json(new System.Text.Json.Nodes.JsonObject { ["name"] = target.Repository, ["deleted"] = true });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = IndexCommands.RepositoryHelp };
        var command = new Command("show", "Show a repository: visibility, description, stars, pulls and its tags with digests and sizes") { reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = IndexCommands.Repository(parse.GetValue(reference)!);
            using var index = IndexCommands.Index(context, target.Registry);
            var repository = await index.GetRepositoryAsync(target.Repository, cancellationToken);
            context.Json(IndexCommands.Node(repository, IndexJson.Default.RepositoryInfo));
            foreach (var tag in repository.Tags)
            {
                context.Quiet($"{tag.Name} {tag.Digest}");
            }

            if (context.Mode == OutputMode.Human)
            {
                PrintHuman(context.Out, target, repository);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void PrintHuman(TextWriter output, ImageReference target, RepositoryInfo repository)
    {
        output.WriteLine($"Name:        {target}");
        output.WriteLine($"Visibility:  {repository.Visibility}");
        if (!string.IsNullOrWhiteSpace(repository.Description))
        {
            output.WriteLine($"Description: {TextTable.OneLine(repository.Description, 200)}");
        }

        output.WriteLine($"Stars:       {IndexCommands.Count(repository.StarCount)}{(repository.Starred ? " (one is yours)" : "")}");
        output.WriteLine($"Pulls:       {IndexCommands.Count(repository.PullCount)}");
        output.WriteLine($"Comments:    {IndexCommands.Count(repository.CommentCount)}");
        output.WriteLine($"Created:     {IndexCommands.Time(repository.CreatedAt)}");
        if (repository.LastPushedAt is { } pushed)
        {
            output.WriteLine($"Last push:   {IndexCommands.Time(pushed)}");
        }

        output.WriteLine($"Your access: {repository.Permission}");
        if (repository.Tags.Count == 0)
        {
            output.WriteLine("Tags:        none");
            return;
        }

        output.WriteLine($"Tags:        {repository.Tags.Count}{(repository.Tags.Count >= 100 ? " most recently pushed" : "")}");
        TextTable.WritePlain(
            output,
            ["TAG", "DIGEST", "SIZE", "PUSHED"],
            [.. repository.Tags.Select(t => new[] { t.Name, t.Digest, Sizes.Format(t.Size), IndexCommands.Time(t.PushedAt) })],
            2);
    }

    /// <summary>On a terminal, the user types the repository's name; without one, only <c>--yes</c> deletes.</summary>
    private static bool Confirm(CliContext context, ImageReference target)
    {
        if (Console.IsInputRedirected || Console.IsErrorRedirected)
        {
            throw new UsageException($"deleting {target} cannot be undone: pass --yes (there is no terminal to ask on)");
        }

        context.Error.Write($"Delete {target} with all its tags and manifests? Type '{target.Repository}' to confirm: ");
        return string.Equals(Console.ReadLine()?.Trim(), target.Repository, StringComparison.Ordinal);
    }
}
