using Berth.Data;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Server.Quotas;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>
/// <c>berth-server admin COMMAND …</c>: console commands for whoever runs the server, working on its database directly
/// (with or without a server running on it: SQLite's WAL lets both write, PostgreSQL anyway). They find the database
/// as the server does (<c>--data-dir</c>, <c>--database</c>, <c>--connection-string</c>, the <c>BERTH_</c> variables,
/// appsettings.json) and never create or migrate one. Later console commands join the dispatch in <see cref="RunAsync"/>.
/// </summary>
internal static class AdminCommands
{
    public const string Usage = """
        Usage: berth-server admin reset-password NAME [--password PW | --password-stdin]
                                  [--data-dir DIR] [--database sqlite|postgres] [--connection-string CS]

        Sets a new password for the account NAME in the database the server with these options uses (a server may be
        running on it) and ends the account's web sessions and refresh tokens. Without --password or --password-stdin
        a password is generated and printed once.

        Exit codes: 0 done, 2 usage, 5 database unusable, 6 no such account.

        Usage: berth-server admin quota NAMESPACE [--limit SIZE | --remove]
                                  [--data-dir DIR] [--database sqlite|postgres] [--connection-string CS]

        Shows a namespace's usage (the bytes of the distinct blobs its repositories link) and quota; with --limit sets or
        changes the quota (SIZE in bytes, or with a unit: 500MiB, 100GiB, 2TiB), with --remove removes it. For a
        registry without an index (role registry), which has no API for quotas. Exit codes: 0 done, 2 usage, 5 database
        unusable, 6 no quota to remove.
        """;

    /// <summary>Options that locate the database, as the server reads them.</summary>
    internal static readonly string[] DatabaseSwitches = ["--data-dir", "--database", "--connection-string"];

    /// <summary><paramref name="args"/> without the leading <c>admin</c>.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        switch (args)
        {
            case [] or ["--help" or "-h", ..]:
                Console.WriteLine(Usage);
                return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
            case ["reset-password", .. var rest]:
                return await ResetPasswordAsync(rest, cancellationToken);
            case ["quota", .. var rest]:
                return await QuotaCommand.RunAsync(rest, cancellationToken);
            default:
                return UsageError($"unknown admin command '{args[0]}' (known: reset-password, quota)");
        }
    }

    private static async Task<int> ResetPasswordAsync(string[] args, CancellationToken cancellationToken)
    {
        string? name = null;
        string? password = null;
        var passwordStdin = false;
        var settings = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                Console.WriteLine(Usage);
                return ExitCodes.Success;
            }

            if (arg == "--password-stdin")
            {
                passwordStdin = true;
            }
            else if (arg == "--password" || DatabaseSwitches.Contains(arg, StringComparer.Ordinal))
            {
                if (i + 1 == args.Length)
                {
                    return UsageError($"option '{arg}' needs a value");
                }

                if (arg == "--password")
                {
                    password = args[++i];
                }
                else
                {
                    settings.Add(arg);
                    settings.Add(args[++i]);
                }
            }
            else if (arg.StartsWith('-') || name is not null)
            {
                return UsageError(arg.StartsWith('-') ? $"unknown option '{arg}'" : $"unexpected argument '{arg}'");
            }
            else
            {
                name = arg;
            }
        }

        if (name is null)
        {
            return UsageError("reset-password needs the account's NAME");
        }

        if (passwordStdin && password is not null)
        {
            return UsageError("--password or --password-stdin, not both");
        }

        if (passwordStdin)
        {
            password = (await Console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
        }

        var generated = string.IsNullOrEmpty(password);
        password = generated ? Secrets.NewPassword() : password!;
        var options = Options(settings);
        if (!DatabaseExists(options))
        {
            return ExitCodes.Database;
        }

        PrivateFiles.RestrictNewFiles();
        var services = new ServiceCollection();
        try
        {
            services.AddSingleton(TimeProvider.System);
            services.AddLogging();
            services.AddBerthDatabase(options);
            services.AddAccountAdministration(new IndexOptions { BcryptWorkFactor = options.BcryptWorkFactor });
        }
        catch (ConfigurationException e)
        {
            return UsageError(e.Message);
        }
        catch (DatabaseConfigurationException e)
        {
            Console.Error.WriteLine($"berth-server: cannot open the {options.Database} database: {e.Message}");
            return ExitCodes.Database;
        }

        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                Console.Error.WriteLine("berth-server: the database is not at this version's schema yet: start this berth-server on it once first");
                return ExitCodes.Database;
            }

            var reset = await scope.ServiceProvider.GetRequiredService<IAccountService>().ResetPasswordAsync(name, password, cancellationToken);
            if (!reset.IsSuccess)
            {
                if (reset.Error.Status == StatusCodes.Status404NotFound)
                {
                    Console.Error.WriteLine($"berth-server: there is no account '{name}'");
                    return ExitCodes.UnknownAccount;
                }

                return UsageError(reset.Error.Detail ?? reset.Error.Title);
            }

            await scope.ServiceProvider.GetRequiredService<IAuditLog>()
                .RecordAsync(null, AuditActions.PasswordReset, name, "berth-server admin reset-password", cancellationToken);
        }
        catch (Exception e) when (StartupFaults.DatabaseFault(e) is { } reason)
        {
            Console.Error.WriteLine($"berth-server: cannot use the {options.Database} database: {reason}");
            return ExitCodes.Database;
        }

        // Shown once, on the console only, as at first start; the account's sessions and refresh tokens are ended.
        Console.WriteLine(generated
            ? $"berth-server: new password of '{name}': {password}"
            : $"berth-server: password of '{name}' reset");
        return ExitCodes.Success;
    }

    /// <summary>The server's own configuration sources, in its order: appsettings.json, BERTH_ variables, the command line.</summary>
    /// <summary>
    /// False (and says so on stderr) when the options name a SQLite database that is not there: opening it would create
    /// an empty one, and the operator is in the wrong directory.
    /// </summary>
    internal static bool DatabaseExists(BerthOptions options)
    {
        if (options.Database.Equals("sqlite", StringComparison.OrdinalIgnoreCase) && options.ConnectionString is null &&
            !File.Exists(Path.Combine(options.FullDataDir, "berth.db")))
        {
            Console.Error.WriteLine($"berth-server: no database in {options.FullDataDir} (give the server's --data-dir)");
            return false;
        }

        return true;
    }

    internal static BerthOptions Options(List<string> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddInMemoryCollection(CommandLine.EnvironmentSettings())
            .AddCommandLine([.. settings], CommandLine.Switches)
            .Build();
        return configuration.GetSection(BerthOptions.Section).Get<BerthOptions>() ?? new BerthOptions();
    }

    internal static int UsageError(string message)
    {
        Console.Error.WriteLine($"berth-server admin: {message}");
        Console.Error.WriteLine("berth-server admin --help describes the commands");
        return ExitCodes.Usage;
    }
}
