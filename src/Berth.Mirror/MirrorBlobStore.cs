using Berth.Client.Registry;
using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Registry.Storage;

namespace Berth.Mirror;

/// <summary>
/// <see cref="IBlobStore"/> for a mirror: a blob a mirrored repository lacks is looked up upstream (HEAD) and, when a
/// client reads it, linked if its bytes are already stored or fetched once (<see cref="BlobFetches"/>). Local
/// repositories pass straight through. Scoped: what a stat found upstream is remembered for the read that follows.
/// </summary>
internal sealed class MirrorBlobStore(
    BlobStore inner, MirrorRouter router, BlobFetches fetches, UpstreamBackoff backoff, IStorageDriver storage, MirrorStats stats)
    : IBlobStore
{
    private readonly Dictionary<Digest, Pending> _pending = [];

    public async Task<Result<BlobInfo>> StatAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var local = await inner.StatAsync(repository, digest, cancellationToken);
        var target = router.Resolve(repository);
        if (target is null || local.IsSuccess)
        {
            if (target is not null)
            {
                stats.Of(target.Upstream).Hit();
            }

            return local;
        }

        var upstream = target.Upstream;
        if (await backoff.NotBeforeAsync(upstream, cancellationToken) is { } notBefore)
        {
            return UpstreamErrors.Unavailable(upstream, $"backing off until {notBefore:O}");
        }

        // Asked upstream even when the bytes are stored (another repository fetched them): a blob is linked into a
        // mirrored repository only if its upstream serves it there, as a push links only what was uploaded.
        long? size;
        var retryAfter = RetryAfterObserver.Watch();
        try
        {
            size = await upstream.Client.BlobSizeAsync(target.Repository, digest, cancellationToken);
        }
        catch (RegistryException e)
        {
            stats.Of(upstream).Error();
            if (e.IsTransient || e.Kind == RegistryErrorKind.Unknown)
            {
                await backoff.RecordAsync(upstream, e, retryAfter.Value, cancellationToken);
            }

            return UpstreamErrors.For(e, upstream, repository, $"blob {digest}", OciErrorCode.BlobUnknown);
        }

        if (size is not { } known)
        {
            return new OciError(OciErrorCode.BlobUnknown, Detail: new { digest = digest.ToString() });
        }

        stats.Of(upstream).Miss();
        if (await storage.StatAsync(StorageKeys.Blob(digest), cancellationToken) == known &&
            await fetches.LinkStoredAsync(repository, digest, known, cancellationToken))
        {
            return new BlobInfo(digest, known);
        }

        _pending[digest] = new Pending(target, repository, known);
        return new BlobInfo(digest, known);
    }

    public Task<DirectAccess?> GetDirectAccessAsync(Digest digest, CancellationToken cancellationToken) =>
        _pending.ContainsKey(digest) ? Task.FromResult<DirectAccess?>(null) : inner.GetDirectAccessAsync(digest, cancellationToken);

    public Task<Stream?> OpenReadAsync(Digest digest, long offset, CancellationToken cancellationToken) =>
        _pending.TryGetValue(digest, out var pending)
            ? fetches.OpenAsync(pending.Target, pending.Repository, digest, pending.Size, offset, cancellationToken)
            : inner.OpenReadAsync(digest, offset, cancellationToken);

    public async Task<Result<BlobInfo>> UnlinkAsync(string repository, Digest digest, CancellationToken cancellationToken) =>
        router.IsMirrored(repository) ? UpstreamErrors.PushRefused(repository) : await inner.UnlinkAsync(repository, digest, cancellationToken);

    public Task<Result<BlobInfo>?> MountAsync(string repository, string fromRepository, Digest digest, CancellationToken cancellationToken) =>
        router.IsMirrored(repository) ? Task.FromResult<Result<BlobInfo>?>(null) : inner.MountAsync(repository, fromRepository, digest, cancellationToken);

    private sealed record Pending(MirrorTarget Target, string Repository, long Size);
}
