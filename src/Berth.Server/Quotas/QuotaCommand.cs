using System.Globalization;
using Berth.Data;
using Berth.Data.Quotas;
using Berth.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Quotas;

/// <summary>
/// <c>berth-server admin quota NAMESPACE [--limit SIZE | --remove]</c>: a namespace's usage and quota, set or removed on
/// the database a server's options name (servers may be running on it). For a registry without an index, which has no
/// API for quotas; the same operations as <see cref="QuotasApi"/>. Never creates or migrates a database.
/// </summary>
internal static class QuotaCommand
{
    private static readonly (string Unit, long Factor)[] Units = [("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1)];

    /// <summary><paramref name="args"/> without the leading <c>admin quota</c>.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args is [] or ["--help" or "-h", ..])
        {
            Console.WriteLine(AdminCommands.Usage);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }

        // The namespace comes first; what follows are this command's options and the server's.
        var name = args[0];
        long? limit = null;
        var remove = false;
        var settings = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    Console.WriteLine(AdminCommands.Usage);
                    return ExitCodes.Success;
                case "--remove":
                    remove = true;
                    break;
                case "--limit":
                    if (i + 1 == args.Length || ParseSize(args[i + 1]) is not { } parsed)
                    {
                        return AdminCommands.UsageError("--limit needs a size: bytes, or a number with KiB, MiB, GiB or TiB (e.g. 100GiB)");
                    }

                    limit = parsed;
                    i++;
                    break;
                default:
                    settings.Add(args[i]);
                    break;
            }
        }

        if (!QuotaNames.IsNamespace(name))
        {
            return AdminCommands.UsageError($"quota needs a NAMESPACE first; '{name}' is {QuotaNames.NotANamespace}");
        }

        if (remove && limit is not null)
        {
            return AdminCommands.UsageError("--limit or --remove, not both");
        }

        if (CommandLine.Validate(settings) is { } usage)
        {
            return AdminCommands.UsageError(usage);
        }

        var options = AdminCommands.Options([.. CommandLine.ExpandFlags([.. settings])]);
        if (!AdminCommands.DatabaseExists(options))
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
        }
        catch (ConfigurationException e)
        {
            return AdminCommands.UsageError(e.Message);
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

            if (remove)
            {
                var removed = await db.RemoveQuotaAsync(name, cancellationToken);
                Console.WriteLine(removed ? $"berth-server admin quota: {name}: quota removed" : $"berth-server admin quota: {name} had no quota");
            }
            else if (limit is { } bytes)
            {
                await db.SetQuotaAsync(name, bytes, TimeProvider.System.GetUtcNow().UtcDateTime, cancellationToken);
            }

            // One line, its numbers in a fixed form for scripts.
            var quota = await db.FindQuotaAsync(name, cancellationToken);
            var used = quota?.UsedBytes ?? await db.CountAsync(name, cancellationToken);
            Console.WriteLine(
                $"berth-server admin quota: namespace={name} used={used} limit={(quota is null ? "none" : quota.LimitBytes.ToString(CultureInfo.InvariantCulture))}" +
                $" ({QuotaRefusal.Format(used)}{(quota is null ? ", no quota" : $" of {QuotaRefusal.Format(quota.LimitBytes)}")})");
            return ExitCodes.Success;
        }
        catch (Exception e) when (StartupFaults.DatabaseFault(e) is { } reason)
        {
            Console.Error.WriteLine($"berth-server: cannot use the {options.Database} database: {reason}");
            return ExitCodes.Database;
        }
    }

    /// <summary>Bytes, or a whole number with a binary unit (<c>500MiB</c>, <c>100GiB</c>); null for anything else or a negative size.</summary>
    internal static long? ParseSize(string text)
    {
        foreach (var (unit, factor) in Units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                text = text[..^unit.Length];
                return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= long.MaxValue / factor ? count * factor : null;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
    }
}
