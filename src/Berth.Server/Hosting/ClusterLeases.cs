using System.Collections.Concurrent;
using Berth.Data;

namespace Berth.Server.Hosting;

/// <summary>
/// Named leases in the shared database (<c>cluster_leases</c>), so a job meant to run once per cluster (not once per
/// node) runs only where its lease is held. A node holds a lease by renewing it before it lapses; another node takes
/// it once it has lapsed (its holder died or stopped renewing). The jobs that use it are idempotent: the lease keeps
/// them from running N times per period, correctness does not rest on it (a holder stalled past its lease may
/// overlap once with the next).
/// </summary>
internal sealed partial class ClusterLeases(IServiceScopeFactory scopes, TimeProvider time, ILogger<ClusterLeases> logger)
{
    /// <summary>Names of the leases, one per job.</summary>
    public const string AbandonedUploads = "abandoned-uploads";
    public const string ReceivedEvents = "received-events";
    public const string OutboxPrune = "outbox-prune";
    public const string RateLimitWindows = "rate-limit-windows";

    /// <summary>Held for the length of a garbage-collection pass only, so a pass on any node (or the command) can take it next.</summary>
    public const string GarbageCollection = "gc";

    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal);

    /// <summary>This process's owner id: host, process id and a random part (a restarted process is a new owner).</summary>
    public string Node { get; } = ClusterLeaseRows.NewOwnerId();

    /// <summary>
    /// Takes or renews <paramref name="name"/> until now + <paramref name="duration"/>; false while another node holds
    /// it. One statement (an upsert whose update applies only to our own or a lapsed lease), the same on SQLite and
    /// PostgreSQL (<see cref="ClusterLeaseRows"/>). A database failure propagates: the caller skips its run.
    /// </summary>
    public async Task<bool> TryHoldAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        bool held;
        await using (var scope = scopes.CreateAsyncScope())
        {
            held = await ClusterLeaseRows.TryHoldAsync(
                scope.ServiceProvider.GetRequiredService<BerthDbContext>(), name, Node, time.GetUtcNow().UtcDateTime, duration, cancellationToken);
        }

        var wasHeld = _held.TryGetValue(name, out var before) && before;
        _held[name] = held;
        if (held && !wasHeld)
        {
            LogTaken(logger, name, Node);
        }
        else if (!held && wasHeld)
        {
            LogLost(logger, name, Node);
        }

        if (held)
        {
            LogHeld(logger, name, Node);
        }

        return held;
    }

    /// <summary>Gives <paramref name="name"/> up if this node holds it, so another may take it at once.</summary>
    public async Task ReleaseAsync(string name, CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            await ClusterLeaseRows.ReleaseAsync(scope.ServiceProvider.GetRequiredService<BerthDbContext>(), name, Node, cancellationToken);
        }

        _held[name] = false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Took the cluster lease {Name} as {Node}")]
    private static partial void LogTaken(ILogger logger, string name, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lost the cluster lease {Name} ({Node}): another node holds it")]
    private static partial void LogLost(ILogger logger, string name, string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Running {Name} under its cluster lease as {Node}")]
    private static partial void LogHeld(ILogger logger, string name, string node);
}
