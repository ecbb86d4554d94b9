using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Berth.Server.Hosting;

/// <summary>
/// The free space of the disk holding the data directory, and the reserve below which pushes are refused
/// (<c>--min-free-bytes</c>). The reserve keeps room for what must still be written when uploads stop: the
/// database's journal (SQLite in the data directory records every upload's offset), chunks already streaming, logs.
/// Null <see cref="FreeBytes"/> means nothing of Berth's is on a local disk (PostgreSQL and S3): no reserve applies.
/// </summary>
internal sealed class DiskSpace(string? path, long reserveBytes)
{
    public long ReserveBytes => reserveBytes;

    /// <summary>Bytes an unprivileged writer may still use there (statvfs's f_bavail), or null when nothing is guarded.</summary>
    public long? FreeBytes() => path is null ? null : new DriveInfo(path).AvailableFreeSpace;

    /// <summary>True when the disk is below the reserve: new uploads and upload bodies are refused, reads go on.</summary>
    public bool IsLow() => reserveBytes > 0 && FreeBytes() is { } free && free < reserveBytes;
}

/// <summary>Wiring of <see cref="DiskSpace"/>: the service and its readiness check (<see cref="BerthMetrics"/> reads its gauge).</summary>
internal static class DiskSpaceServices
{
    public static IServiceCollection AddDiskSpace(this IServiceCollection services, BerthOptions options)
    {
        if (options.MinFreeBytes < 0)
        {
            throw new ConfigurationException($"--min-free-bytes must be 0 (no reserve) or more, not {options.MinFreeBytes}");
        }

        // Local bytes: the filesystem driver's blobs and uploads, or the SQLite database (which sits in the data directory
        // even when blobs go to S3). With PostgreSQL and S3 this node writes nothing that matters to its own disk.
        var local = options.RunsRegistry && (options.Storage.Equals("filesystem", StringComparison.OrdinalIgnoreCase)
            || options.Database.Equals("sqlite", StringComparison.OrdinalIgnoreCase));
        var space = new DiskSpace(local ? options.FullDataDir : null, options.MinFreeBytes);
        services.AddSingleton(space);
        if (!local)
        {
            return services;
        }

        services.AddHealthChecks().AddCheck<DiskSpaceCheck>("disk", tags: [Readiness.Ready]);
        return services;
    }

    /// <summary>
    /// Below the reserve the node is degraded, not unready: /readyz still answers 200, so a load balancer keeps sending it
    /// pulls, which it serves; pushes get 507 with a message saying why. Unready would take the pulls away too.
    /// </summary>
    internal sealed class DiskSpaceCheck(DiskSpace space) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
            Task.FromResult(space.IsLow()
                ? HealthCheckResult.Degraded("free space below the reserve: pushes are refused")
                : HealthCheckResult.Healthy());
    }
}
