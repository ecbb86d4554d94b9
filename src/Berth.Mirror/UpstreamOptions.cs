using Berth.Data;

namespace Berth.Mirror;

/// <summary>
/// One upstream registry the mirror caches (configuration <c>Berth:Mirrors</c>, or <c>--mirror [NAME=]URL</c>).
/// Without a <see cref="Name"/> it is the single upstream of every repository (CNCF Distribution's proxy mode).
/// </summary>
public sealed class UpstreamOptions
{
    /// <summary>The upstream's host as clients name it (<c>docker.io</c>): the <c>?ns=</c> value and the path prefix.</summary>
    public string? Name { get; set; }

    /// <summary>Where the upstream is reached, e.g. <c>https://registry-1.docker.io</c>.</summary>
    public string Url { get; set; } = "";

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>How long a cached tag is served before it is revalidated with a HEAD upstream.</summary>
    public TimeSpan TagTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Prefix for one-component names at the upstream (<c>library/</c> for Docker Hub's official images).</summary>
    public string? OfficialPrefix { get; set; }

    /// <summary>
    /// Who may pull its repositories through Berth with <c>--auth token</c>: <c>anyone</c> (anonymous too, as public
    /// repositories) or <c>users</c> (signed-in accounts). Unset: <c>anyone</c> without credentials, <c>users</c> with.
    /// </summary>
    public MirrorPull? Pull { get; set; }
}
