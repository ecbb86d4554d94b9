using Berth.Index.Permissions;
using Berth.Mirror;

namespace Berth.Server.Hosting;

/// <summary>The mirror's routing as the index's permission decision sees it (<see cref="IMirroredNames"/>).</summary>
internal sealed class RouterMirroredNames : IMirroredNames
{
    private readonly MirrorRouter _router;
    private readonly Dictionary<Upstream, MirroredUpstream> _upstreams;

    public RouterMirroredNames(MirrorRouter router)
    {
        _router = router;
        _upstreams = router.Upstreams.ToDictionary(u => u, u => new MirroredUpstream(u.Origin.MirrorSource, u.Pull));
        Upstreams = [.. _upstreams.Values];
    }

    public IReadOnlyList<MirroredUpstream> Upstreams { get; }

    public MirroredUpstream? Find(string repository) =>
        _router.Resolve(repository) is { } target ? _upstreams[target.Upstream] : null;
}
