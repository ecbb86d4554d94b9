namespace Berth.Data.Entities;

/// <summary>
/// A mirrored tag as last seen upstream: the digest the upstream named and when it was asked, so every node serves
/// the cached tag until its TTL has passed since <see cref="CheckedAt"/>, then revalidates it with one HEAD.
/// </summary>
public sealed class MirrorTagRecord
{
    /// <summary>The repository's stored name (e.g. <c>docker.io/library/alpine</c>).</summary>
    public required string Repository { get; set; }

    public required string Tag { get; set; }

    public required string Digest { get; set; }

    public DateTime CheckedAt { get; set; }
}

/// <summary>An upstream that asked to be left alone (429 or 503 with <c>Retry-After</c>): no node asks it before <see cref="NotBefore"/>.</summary>
public sealed class MirrorBackoffRecord
{
    /// <summary>The upstream's name (or host, for the single upstream).</summary>
    public required string Upstream { get; set; }

    public DateTime NotBefore { get; set; }
}
