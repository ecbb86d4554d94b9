using Berth.Data;
using Berth.Registry;
using Berth.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Gc;

/// <summary>
/// <c>berth-server gc</c>: one garbage-collection pass now, against the database and storage the server's options name,
/// while servers keep serving on them (it takes the cluster's <c>gc</c> lease as their workers do). Never creates or
/// migrates a database.
/// </summary>
internal static class GcCommand
{
    public const string Usage = """
        Usage: berth-server gc [--dry-run] [--grace DURATION] [--data-dir DIR | --database postgres --connection-string CS]
                               [--storage filesystem|s3 --s3-… options] [any other server option]

        Runs one garbage-collection pass now on the database and storage a server with these options uses (servers may
        be running on them) and prints what it reclaimed, after a line per tag the retention policies untagged.
        --dry-run deletes and untags nothing and prints what would go.
        --grace (e.g. 0s, 30m, 24h) overrides --gc-grace for this pass: candidates queued, and blob links made, more
        recently than that are left alone. A pass first purges upload sessions idle for longer than --upload-idle-seconds
        (uploads= in the summary). Waits up to a minute for a pass running elsewhere to end.

        Exit codes: 0 done, 2 usage, 5 database unusable, 8 another pass held the lease throughout.
        """;

    private static readonly TimeSpan LeaseWait = TimeSpan.FromMinutes(1);

    /// <summary><paramref name="args"/> without the leading <c>gc</c>.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var dryRun = false;
        TimeSpan? grace = null;
        var settings = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    Console.WriteLine(Usage);
                    return ExitCodes.Success;
                case "--dry-run":
                    dryRun = true;
                    break;
                case "--grace":
                    if (i + 1 == args.Length || !GcOptions.TryParseDuration(args[i + 1], out var parsed))
                    {
                        return UsageError("--grace needs a duration (e.g. 0s, 30m, 24h)");
                    }

                    grace = parsed;
                    i++;
                    break;
                default:
                    settings.Add(args[i]);
                    break;
            }
        }

        if (CommandLine.Validate(settings) is { } usage)
        {
            return UsageError(usage);
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
            RegistryServices.AddBlobStorage(services, options);
            services.AddRegistryCore();
            services.AddSingleton<ClusterLeases>();
            services.AddSingleton(options.Gc.Parse(options.UploadIdleSeconds));
            services.AddSingleton<GcRunner>();
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
        try
        {
            await using (var scope = provider.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
                if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
                {
                    Console.Error.WriteLine("berth-server: the database is not at this version's schema yet: start this berth-server on it once first");
                    return ExitCodes.Database;
                }
            }

            var report = await provider.GetRequiredService<GcRunner>().RunAsync("command", dryRun, grace, LeaseWait, cancellationToken);
            if (report is null)
            {
                Console.Error.WriteLine("berth-server: another garbage-collection pass held the lease for a minute; try again later");
                return ExitCodes.Busy;
            }

            // A line per tag retention removed, then one line, its numbers in a fixed form for scripts.
            foreach (var tag in report.Untagged)
            {
                Console.WriteLine($"berth-server gc: {(report.DryRun ? "would untag" : "untagged")} {tag.Repository}:{tag.Tag} {tag.Digest}");
            }

            Console.WriteLine(
                $"berth-server gc: {(report.DryRun ? "would reclaim" : "reclaimed")} blobs={report.BlobsDeleted} bytes={report.BytesDeleted} " +
                $"manifests={report.ManifestsDeleted} reviewed={report.CandidatesReviewed} untagged={report.Untagged.Count} uploads={report.UploadsPurged}");
            return ExitCodes.Success;
        }
        catch (Exception e) when (StartupFaults.DatabaseFault(e) is { } reason)
        {
            Console.Error.WriteLine($"berth-server: cannot use the {options.Database} database: {reason}");
            return ExitCodes.Database;
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"berth-server gc: {message}");
        Console.Error.WriteLine("berth-server gc --help describes the command");
        return ExitCodes.Usage;
    }
}
