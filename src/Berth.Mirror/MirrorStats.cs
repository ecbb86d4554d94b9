using System.Collections.Concurrent;

namespace Berth.Mirror;

/// <summary>Counts per upstream since start, read by the host's metrics when they are scraped.</summary>
public sealed class MirrorStats
{
    private readonly ConcurrentDictionary<string, UpstreamCounts> _counts = new(StringComparer.Ordinal);

    public UpstreamCounts Of(Upstream upstream) => _counts.GetOrAdd(upstream.Label, static _ => new UpstreamCounts());

    public IReadOnlyList<(string Upstream, UpstreamCounts Counts)> Snapshot() =>
        [.. _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value))];
}

/// <summary>One upstream's counters: requests served from the cache, fetched from it, revalidated, bytes, errors.</summary>
public sealed class UpstreamCounts
{
    private long _hits, _misses, _revalidations, _bytesFetched, _errors;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public long Revalidations => Interlocked.Read(ref _revalidations);

    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public long Errors => Interlocked.Read(ref _errors);

    public void Hit() => Interlocked.Increment(ref _hits);

    public void Miss() => Interlocked.Increment(ref _misses);

    public void Revalidation() => Interlocked.Increment(ref _revalidations);

    public void Fetched(long bytes) => Interlocked.Add(ref _bytesFetched, bytes);

    public void Error() => Interlocked.Increment(ref _errors);
}
