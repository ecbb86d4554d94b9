using Berth.Oci;

namespace Berth.Mirror;

/// <summary>A mirrored repository: the upstream it comes from and its name there.</summary>
public sealed record MirrorTarget(Upstream Upstream, string Repository);

/// <summary>
/// Which repositories are mirrored, and from where. A stored name <c>NAME/rest</c> whose first component is a named
/// upstream maps to that upstream's <c>rest</c> (the path prefix, and containerd's <c>?ns=NAME</c> rewritten to it at
/// the edge); with an unnamed upstream every other name maps to it unchanged. One-component names at the upstream
/// get its official prefix (<c>alpine</c> → <c>library/alpine</c>). Names that map to nothing are local repositories.
/// </summary>
public sealed class MirrorRouter : IDisposable
{
    private readonly Dictionary<string, Upstream> _named;
    private readonly Upstream? _default;

    public MirrorRouter(IEnumerable<Upstream> upstreams)
    {
        var all = upstreams.ToList();
        _named = all.Where(u => u.Name is not null).ToDictionary(u => u.Name!, StringComparer.Ordinal);
        _default = all.FirstOrDefault(u => u.Name is null);
        Upstreams = all;
    }

    public IReadOnlyList<Upstream> Upstreams { get; }

    /// <summary>The upstream and its repository name for <paramref name="repository"/>; null for a local repository.</summary>
    public MirrorTarget? Resolve(string repository)
    {
        var slash = repository.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && _named.TryGetValue(repository[..slash], out var named))
        {
            return new MirrorTarget(named, named.UpstreamName(repository[(slash + 1)..]));
        }

        return _default is null ? null : new MirrorTarget(_default, _default.UpstreamName(repository));
    }

    public bool IsMirrored(string repository) => Resolve(repository) is not null;

    /// <summary>
    /// The stored name for a request naming <paramref name="repository"/> with containerd's <c>?ns=</c>: prefixed with
    /// the upstream's name when <paramref name="ns"/> names one (and the name is not already prefixed), else unchanged.
    /// </summary>
    public string WithNamespace(string repository, string? ns)
    {
        if (string.IsNullOrEmpty(ns) || !_named.ContainsKey(ns) || repository.StartsWith(ns + "/", StringComparison.Ordinal))
        {
            return repository;
        }

        var prefixed = $"{ns}/{repository}";
        return RepositoryName.IsValid(prefixed) ? prefixed : repository;
    }

    public void Dispose()
    {
        foreach (var upstream in Upstreams)
        {
            upstream.Dispose();
        }
    }

    /// <summary>The answer to a push, mount or delete in a mirrored repository.</summary>
    public static OciError PushRefused(string repository) => UpstreamErrors.PushRefused(repository);

    /// <summary>Whether <paramref name="ns"/> names an upstream (so <c>?ns=</c> applies).</summary>
    public bool IsNamespace(string? ns) => ns is not null && _named.ContainsKey(ns);
}
