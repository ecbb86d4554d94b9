using System.CommandLine;
using Berth.Cli.Commands;

namespace Berth.Cli;

/// <summary>The berth command tree.</summary>
internal static class CommandTree
{
    public static RootCommand Build(GlobalOptions globals)
    {
        var root = new RootCommand("berth — push, pull and copy container images; talks to any OCI/Docker registry");
        foreach (var option in globals.All)
        {
            root.Options.Add(option);
        }

        // Accounts.
        root.Subcommands.Add(LoginCommands.Login(globals));
        root.Subcommands.Add(LoginCommands.Logout(globals));
        root.Subcommands.Add(AccountCommands.Signup(globals));
        root.Subcommands.Add(AccountCommands.Account(globals));

        // Images (the OCI Distribution API: works against any registry).
        root.Subcommands.Add(PushCommand.Create(globals));
        root.Subcommands.Add(PullCommand.Create(globals));
        root.Subcommands.Add(CopyCommand.Create(globals));
        root.Subcommands.Add(InspectCommand.Create(globals));
        root.Subcommands.Add(TagCommand.Create(globals));
        root.Subcommands.Add(RmCommand.Create(globals));
        root.Subcommands.Add(ListCommands.Tags(globals));
        root.Subcommands.Add(ListCommands.Catalog(globals));

        // The index verbs (Berth's REST API /api/v1, docs/API.md): Berth only, with the same stored logins.
        root.Subcommands.Add(IndexCommands.Search(globals));
        root.Subcommands.Add(IndexCommands.Star(globals, star: true));
        root.Subcommands.Add(IndexCommands.Star(globals, star: false));
        root.Subcommands.Add(IndexCommands.Comment(globals));
        root.Subcommands.Add(IndexCommands.Comments(globals));
        root.Subcommands.Add(RepoCommand.Create(globals));
        root.Subcommands.Add(WebhookCommands.Create(globals));
        root.Subcommands.Add(TagPolicyCommands.Rules(globals));
        root.Subcommands.Add(TagPolicyCommands.Retention(globals));
        return root;
    }
}
