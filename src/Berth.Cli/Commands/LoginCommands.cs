using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Client.Auth;
using Berth.Client.References;
using Berth.Client.Registry;

namespace Berth.Cli.Commands;

/// <summary><c>berth login HOST</c> and <c>berth logout HOST</c>: docker config.json, readable by docker, podman and skopeo.</summary>
internal static class LoginCommands
{
    public static Command Login(GlobalOptions globals)
    {
        var host = new Argument<string>("HOST") { Description = "HOST[:PORT] of the registry" };
        var username = new Option<string?>("--username", "-u") { Description = "Account name (asked for on a terminal when missing)" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or access token (prefer --password-stdin: arguments are visible to other users)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var command = new Command("login", "Check credentials against a registry and store them in the docker config") { host, username, password, passwordStdin };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var registry = Host(parse.GetValue(host)!);
            var user = parse.GetValue(username) ?? Prompt("Username: ", secret: false)
                ?? throw new UsageException("give --username (no terminal to ask on)");
            var secret = parse.GetValue(passwordStdin) ? (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n')
                : parse.GetValue(password) ?? Prompt("Password: ", secret: true)
                ?? throw new UsageException("give --password-stdin or --password (no terminal to ask on)");
            var credentials = new RegistryCredentials(user, secret);

            // Prove the credentials before storing them: a ping answered 200 after the auth handshake.
            using var probe = context.CreateRegistries(new StaticCredentialProvider(registry, credentials));
            try
            {
                await probe.ForRegistry(registry).PingAsync(cancellationToken);
            }
            catch (RegistryException e) when (e.Kind is RegistryErrorKind.Unauthorized or RegistryErrorKind.Denied)
            {
                throw new RegistryAuthException($"{registry} refused the username or password for '{user}'");
            }

            await context.Store.StoreAsync(registry, credentials, cancellationToken);
            context.Human($"Login Succeeded ({registry}; stored in {context.Store.ConfigPath})");
            context.Json(new JsonObject { ["registry"] = registry, ["username"] = user, ["config"] = context.Store.ConfigPath });
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Logout(GlobalOptions globals)
    {
        var host = new Argument<string>("HOST") { Description = "HOST[:PORT] of the registry" };
        var command = new Command("logout", "Forget the stored credentials of a registry") { host };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var registry = Host(parse.GetValue(host)!);
            var files = await context.Store.EraseAsync(registry, cancellationToken);
            context.Human(files.Count == 0 ? $"Not logged in to {registry}" : $"Removed login credentials for {registry} from {string.Join(", ", files)}");
            context.Json(new JsonObject { ["registry"] = registry, ["removedFrom"] = new JsonArray([.. files.Select(f => (JsonNode)f)]) });
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>HOST[:PORT]</c> from what the user typed (a scheme and a trailing slash are dropped).</summary>
    internal static string Host(string text)
    {
        var registry = text;
        var scheme = registry.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            registry = registry[(scheme + 3)..];
        }

        registry = registry.TrimEnd('/');
        return !registry.Contains('/', StringComparison.Ordinal) && ImageReference.TryParse(registry + "/x", out _, out _)
            ? registry
            : throw new UsageException($"'{text}' is not a registry host: write HOST[:PORT]");
    }

    /// <summary>Asks on the terminal (without echo for a secret); null when there is none.</summary>
    internal static string? Prompt(string label, bool secret)
    {
        if (Console.IsInputRedirected)
        {
            return null;
        }

        Console.Error.Write(label);
        if (!secret)
        {
            return Console.ReadLine();
        }

        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
