using System.CommandLine;
using Berth.Client.Auth;
using Berth.Client.Index;
using Berth.Client.Registry;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth signup HOST</c> (one's own account, while the index allows sign-up) and <c>berth account create HOST NAME</c>
/// (an administrator creating someone's account, also when sign-up is disabled): both <c>POST /api/v1/users</c>.
/// </summary>
internal static class AccountCommands
{
    public static Command Signup(GlobalOptions globals)
    {
        var host = new Argument<string>("HOST") { Description = "HOST[:PORT] of the Berth index" };
        var username = new Option<string?>("--username", "-u") { Description = "The account name to take (asked for on a terminal when missing)" };
        var email = new Option<string?>("--email") { Description = "Contact address (optional)" };
        var (password, passwordStdin) = PasswordOptions();
        var command = new Command("signup", "Create your own account on a Berth index (when it allows sign-up); then `berth login HOST`")
        {
            host, username, email, password, passwordStdin,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var registry = LoginCommands.Host(parse.GetValue(host)!);
            var name = parse.GetValue(username) ?? LoginCommands.Prompt("Username: ", secret: false)
                ?? throw new UsageException("give --username (no terminal to ask on)");
            var secret = await PasswordAsync(parse, password, passwordStdin, cancellationToken);

            // Anonymous on purpose: a stored login of someone else (an administrator's) must not decide what is created.
            using var index = IndexCommands.Index(context, registry, AnonymousCredentialProvider.Instance);
            var created = await CreateAsync(index, name, secret, parse.GetValue(email), isAdmin: false, cancellationToken);
            context.Human($"created account '{created.Name}' on {registry}; log in with: berth login {registry} -u {created.Name}");
            context.Quiet(created.Name);
            context.Json(IndexCommands.Node(created, IndexJson.Default.AccountInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Account(GlobalOptions globals)
    {
        var command = new Command("account", "Accounts on a Berth index (administrators)");
        command.Subcommands.Add(Create(globals));
        return command;
    }

    private static Command Create(GlobalOptions globals)
    {
        var host = new Argument<string>("HOST") { Description = "HOST[:PORT] of the Berth index" };
        var name = new Argument<string>("NAME") { Description = "The new account's name" };
        var email = new Option<string?>("--email") { Description = "Contact address (optional)" };
        var admin = new Option<bool>("--admin") { Description = "Make it a site administrator" };
        var (password, passwordStdin) = PasswordOptions();
        var command = new Command("create", "Create an account as a site administrator (works when sign-up is disabled), with your stored login or --creds")
        {
            host, name, email, admin, password, passwordStdin,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var registry = LoginCommands.Host(parse.GetValue(host)!);
            var secret = await PasswordAsync(parse, password, passwordStdin, cancellationToken);
            using var index = IndexCommands.Index(context, registry);
            var created = await CreateAsync(index, parse.GetValue(name)!, secret, parse.GetValue(email), parse.GetValue(admin), cancellationToken);
            context.Human($"created {(created.IsAdmin ? "administrator" : "account")} '{created.Name}' on {registry}");
            context.Quiet(created.Name);
            context.Json(IndexCommands.Node(created, IndexJson.Default.AccountInfo));
            return ExitCodes.Success;
        });
        return command;
    }

    private static (Option<string?> Password, Option<bool> PasswordStdin) PasswordOptions() => (
        new Option<string?>("--password", "-p") { Description = "The new account's password (prefer --password-stdin: arguments are visible to other users)" },
        new Option<bool>("--password-stdin") { Description = "Read the new account's password from standard input" });

    /// <summary>From stdin, the option, or typed twice on the terminal without echo.</summary>
    private static async Task<string> PasswordAsync(ParseResult parse, Option<string?> password, Option<bool> passwordStdin, CancellationToken cancellationToken)
    {
        if (parse.GetValue(passwordStdin))
        {
            return (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n');
        }

        if (parse.GetValue(password) is { } given)
        {
            return given;
        }

        var typed = LoginCommands.Prompt("Password: ", secret: true)
            ?? throw new UsageException("give --password-stdin or --password (no terminal to ask on)");
        return LoginCommands.Prompt("Password (again): ", secret: true) == typed
            ? typed
            : throw new UsageException("the two passwords differ");
    }

    /// <summary>The index's refusals, said as what they mean for this command.</summary>
    private static async Task<AccountInfo> CreateAsync(IIndexClient index, string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken)
    {
        try
        {
            return await index.CreateAccountAsync(name, password, email, isAdmin, cancellationToken);
        }
        catch (RegistryException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
        {
            throw new RegistryException(RegistryErrorKind.Invalid, $"the name '{name}' is taken on {index.Registry} (by an account or an organisation); choose another", e.Status, inner: e);
        }
    }
}
