using System.Threading.RateLimiting;

namespace Berth.Server.Hosting;

/// <summary>How one rate limit policy is shared by the nodes of a cluster.</summary>
/// <param name="Limit">Requests the whole cluster admits per key per <paramref name="Window"/> (a sliding estimate over two fixed windows).</param>
/// <param name="Window">The window's length.</param>
/// <param name="SyncInterval">A node reports its local count at least this often while it admits requests.</param>
internal sealed record ClusterRateLimit(long Limit, TimeSpan Window, TimeSpan SyncInterval)
{
    /// <summary>A node also reports after admitting this many requests unreported, so the cluster overshoots by about this much per node at most.</summary>
    public long Batch => Math.Max(1, Limit / 20);
}

/// <summary>
/// One key's (policy and client address) rate limit on this node, held across the cluster. This node's token bucket
/// still applies (the limit as one process always kept it); on top, requests are counted in the shared database per
/// key and window (<see cref="RateLimitWindows"/>). A request is admitted while the cluster's estimated count (what the
/// last report read back plus what this node admitted since, the previous window weighted by how much of it still
/// overlaps the last <c>Window</c>) stays under the limit. Reports run in the background, one at a time per key, every
/// <see cref="ClusterRateLimit.SyncInterval"/> or <see cref="ClusterRateLimit.Batch"/> admissions: a request never
/// waits for the database, the database sees a bounded number of writes per key, and N nodes together admit about
/// the limit plus N batches, not N times the limit. If the database fails, this node's own bucket is the limit.
/// </summary>
internal sealed partial class ClusterRateLimiter(
    string key,
    ClusterRateLimit limit,
    TokenBucketRateLimiter local,
    RateLimitWindows windows,
    TimeProvider time,
    ILogger logger) : RateLimiter
{
    private readonly Lock _lock = new();
    private readonly long _windowMs = Math.Max(1, (long)limit.Window.TotalMilliseconds);
    private long _window = -1;
    private long _count;
    private long _previous;
    private long _unreported;
    private long _lastReport;
    private bool _reporting;

    public override TimeSpan? IdleDuration => local.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        RateLimitLease lease;
        bool report;
        lock (_lock)
        {
            Roll(nowMs);
            var overlap = 1.0 - ((double)(nowMs % _windowMs) / _windowMs);
            var estimate = (_previous * overlap) + _count + _unreported;
            lease = estimate + permitCount > limit.Limit ? Refused.Instance : local.AttemptAcquire(permitCount);
            if (lease.IsAcquired)
            {
                _unreported += permitCount;
            }

            report = StartReportIfDue(nowMs);
        }

        if (report)
        {
            // Off the request's thread: opening a connection may block.
            _ = Task.Run(ReportAsync);
        }

        return lease;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            local.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await local.DisposeAsync();
        await base.DisposeAsyncCore();
    }

    /// <summary>A new window: what this node knew of the last one becomes the previous count (if consecutive).</summary>
    private void Roll(long nowMs)
    {
        var window = nowMs / _windowMs;
        if (window == _window)
        {
            return;
        }

        _previous = window == _window + 1 ? _count + _unreported : 0;
        _count = 0;
        _unreported = 0;
        _window = window;
        _lastReport = 0; // report at once: learn what the other nodes counted in this one
    }

    private bool StartReportIfDue(long nowMs)
    {
        if (_reporting || (_unreported < limit.Batch && nowMs - _lastReport < limit.SyncInterval.TotalMilliseconds))
        {
            return false;
        }

        _reporting = true;
        _lastReport = nowMs;
        return true;
    }

    private async Task ReportAsync()
    {
        long window;
        long admitted;
        lock (_lock)
        {
            window = _window;
            admitted = _unreported;
            _unreported = 0;
        }

        try
        {
            var expires = DateTimeOffset.FromUnixTimeMilliseconds((window + 2) * _windowMs).UtcDateTime;
            var counts = await windows.AddAsync(key, window, admitted, expires, CancellationToken.None);
            lock (_lock)
            {
                if (_window == window)
                {
                    _count = counts.Count;
                    _previous = Math.Max(_previous, counts.PreviousCount);
                }
            }
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                if (_window == window)
                {
                    _unreported += admitted;
                }
            }

            LogReportFailed(logger, e);
        }
        finally
        {
            lock (_lock)
            {
                _reporting = false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting a rate limit count to the database failed; this node's own limit applies meanwhile")]
    private static partial void LogReportFailed(ILogger logger, Exception exception);

    /// <summary>A refusal: the cluster's count is at the limit.</summary>
    private sealed class Refused : RateLimitLease
    {
        public static readonly Refused Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
