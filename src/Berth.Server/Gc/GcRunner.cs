using Berth.Registry.Gc;
using Berth.Server.Hosting;

namespace Berth.Server.Gc;

/// <summary>
/// Runs garbage-collection passes, one at a time in this process and, through the <c>gc</c> cluster lease, in the
/// cluster (the worker, the admin API's run-now and <c>berth-server gc</c> alike). The lease is held for the pass only,
/// so whoever asks next, on any node, takes it. A dry run deletes nothing and takes no lease.
/// </summary>
internal sealed class GcRunner(IServiceScopeFactory scopes, ClusterLeases leases, GcSettings settings, TimeProvider time)
{
    // Long enough for a long pass; a collector that died holding it keeps others out this long.
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _gate = new(1, 1);

    public GcSettings Settings => settings;

    /// <summary>One pass; null when another collector held the lease for all of <paramref name="wait"/>.</summary>
    public async Task<GcReport?> RunAsync(string trigger, bool dryRun, TimeSpan? grace, TimeSpan wait, CancellationToken cancellationToken)
    {
        var options = new GcPassOptions(grace ?? settings.Grace, settings.UntaggedAfter, dryRun, trigger, settings.UploadIdle);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (dryRun)
            {
                return await PassAsync(options, cancellationToken);
            }

            var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
            while (!await leases.TryHoldAsync(ClusterLeases.GarbageCollection, LeaseDuration, cancellationToken))
            {
                if (time.GetTimestamp() >= deadline)
                {
                    return null;
                }

                await Task.Delay(LeasePoll, time, cancellationToken);
            }

            try
            {
                return await PassAsync(options, cancellationToken);
            }
            finally
            {
                await leases.ReleaseAsync(ClusterLeases.GarbageCollection, CancellationToken.None);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<GcReport> PassAsync(GcPassOptions options, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IGarbageCollector>().RunAsync(options, cancellationToken);
    }
}
