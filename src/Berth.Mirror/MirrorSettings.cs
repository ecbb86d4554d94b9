namespace Berth.Mirror;

/// <summary>
/// The mirror's timings, the same for every upstream. <see cref="StalledClient"/>: how long the client that started a
/// fetch may read nothing before it is detached, so the fetch, the clients waiting for it and the cache entry go on.
/// </summary>
public sealed record MirrorSettings(TimeSpan LeaseDuration, TimeSpan FetchWait, TimeSpan StalledClient)
{
    /// <summary>
    /// A fetch lease lasts 30 s (renewed every 10 s while bytes stream); a node waits up to 10 min for another's fetch;
    /// a client that reads nothing for 15 s is detached.
    /// </summary>
    public static MirrorSettings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(15));
}
