using Berth.Data;

namespace Berth.Index.Permissions;

/// <summary>
/// Which repository names a pull-through mirror serves, and who may pull them: what <see cref="IPermissionService"/>
/// decides mirrored names by. The server implements it over the mirror's router (the index knows nothing of the mirror
/// itself); without a mirror no name is mirrored.
/// </summary>
public interface IMirroredNames
{
    /// <summary>The upstream <paramref name="repository"/> is cached from; null for a local repository.</summary>
    MirroredUpstream? Find(string repository);

    /// <summary>Every configured upstream, for queries over the repository rows (by their <c>MirrorSource</c>).</summary>
    IReadOnlyList<MirroredUpstream> Upstreams { get; }
}

/// <summary>An upstream as the permission decision sees it: the source its repositories record, and its pull policy.</summary>
public sealed record MirroredUpstream(string Source, MirrorPull Pull)
{
    /// <summary>
    /// Whether the pull policy admits a caller (signed in or anonymous). <see cref="IPermissionService"/> decides with
    /// it (with the caller's grants); the registry applies it again on every request, so a token issued under a wider
    /// policy does not outlive the policy.
    /// </summary>
    public bool Admits(bool signedIn) => Pull == MirrorPull.Anyone || signedIn;
}

/// <summary>No mirror: every name is local.</summary>
public sealed class NoMirroredNames : IMirroredNames
{
    public static NoMirroredNames Instance { get; } = new();

    public IReadOnlyList<MirroredUpstream> Upstreams => [];

    public MirroredUpstream? Find(string repository) => null;
}
