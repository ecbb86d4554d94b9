namespace Berth.Mirror;

/// <summary>The mirror's timings, the same for every upstream.</summary>
public sealed record MirrorSettings(TimeSpan LeaseDuration, TimeSpan FetchWait)
{
    /// <summary>A fetch lease lasts 30 s (renewed every 10 s while bytes stream); a node waits up to 10 min for another's fetch.</summary>
    public static MirrorSettings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
}
