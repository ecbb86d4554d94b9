using Berth.Client.Registry;
using Berth.Data;
using Berth.Oci;
using Berth.Registry.Manifests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

/// <summary>
/// <see cref="IManifestStore"/> for a mirror. In a mirrored repository a manifest by digest is fetched once and kept
/// (its digest verified); a tag is served from the cache for its TTL after it was last checked, then revalidated with
/// a HEAD upstream and refetched only when the upstream names another digest. When the upstream cannot be asked
/// (unreachable, 429/5xx, or backing off after one) the cached copy is served with a stale <c>Warning</c>; a tag never
/// cached then gets the upstream's error as the spec's. Pushes and deletes there are refused; local repositories pass
/// straight through.
/// </summary>
internal sealed partial class MirrorManifestStore(
    ManifestStore inner, MirrorRouter router, UpstreamBackoff backoff, BerthDbContext db, MirrorResponse response, MirrorStats stats, TimeProvider time,
    ILogger<MirrorManifestStore> logger)
    : IManifestStore
{
    public async Task<Result<ManifestContent>> GetAsync(string repository, Reference reference, CancellationToken cancellationToken)
    {
        if (router.Resolve(repository) is not { } target)
        {
            return await inner.GetAsync(repository, reference, cancellationToken);
        }

        var local = await inner.GetAsync(repository, reference, cancellationToken);
        var counts = stats.Of(target.Upstream);
        ManifestContent? cached = local.IsSuccess ? local.Value : null;
        var now = time.GetUtcNow().UtcDateTime;
        if (cached is not null)
        {
            if (!reference.IsTag)
            {
                counts.Hit();
                return cached;
            }

            var checkedAt = await db.MirrorTags
                .Where(t => t.Repository == repository && t.Tag == reference.Tag && t.Digest == cached.Digest.ToString())
                .Select(t => (DateTime?)t.CheckedAt)
                .FirstOrDefaultAsync(cancellationToken);
            if (checkedAt is { } c && now - DateTime.SpecifyKind(c, DateTimeKind.Utc) < target.Upstream.TagTtl)
            {
                counts.Hit();
                return cached;
            }
        }

        if (await backoff.NotBeforeAsync(target.Upstream, cancellationToken) is { } notBefore)
        {
            return Stale(cached, target, $"backing off until {notBefore:O}");
        }

        var retryAfter = RetryAfterObserver.Watch();
        try
        {
            return cached is not null
                ? await RevalidateAsync(target, repository, reference.Tag!, cached, cancellationToken)
                : await FetchAsync(target, repository, reference, cancellationToken);
        }
        catch (RegistryException e)
        {
            counts.Error();
            LogUpstreamFailed(logger, target.Upstream.Label, target.Repository, reference.ToString(), e.Message);
            if (e.IsTransient || e.Kind is RegistryErrorKind.Unknown or RegistryErrorKind.Tls)
            {
                await backoff.RecordAsync(target.Upstream, e, retryAfter.Value, cancellationToken);
                return Stale(cached, target, e.Message) is { IsSuccess: true } stale
                    ? stale
                    : UpstreamErrors.For(e, target.Upstream, repository, $"manifest {reference}", OciErrorCode.ManifestUnknown);
            }

            return UpstreamErrors.For(e, target.Upstream, repository, $"manifest {reference}", OciErrorCode.ManifestUnknown);
        }
    }

    /// <summary>The cached tag, if the upstream still names its digest (one HEAD); else the upstream's new manifest.</summary>
    private async Task<Result<ManifestContent>> RevalidateAsync(MirrorTarget target, string repository, string tag, ManifestContent cached, CancellationToken cancellationToken)
    {
        stats.Of(target.Upstream).Revalidation();
        var head = await target.Upstream.Client.HeadManifestAsync(target.Repository, tag, cancellationToken);
        if (head is null)
        {
            return new OciError(OciErrorCode.ManifestUnknown, $"tag {tag} is no longer known to the upstream {target.Upstream.Label}", new { tag });
        }

        if (head.Digest == cached.Digest)
        {
            await RecordTagAsync(repository, tag, cached.Digest, cancellationToken);
            return cached;
        }

        LogTagMoved(logger, repository, tag, cached.Digest.ToString(), head.Digest.ToString());
        return await FetchAsync(target, repository, TagReference(tag), cancellationToken, head.Digest);
    }

    /// <summary>Fetches the manifest upstream (by the digest a HEAD named, when given), verifies and caches it.</summary>
    private async Task<Result<ManifestContent>> FetchAsync(MirrorTarget target, string repository, Reference reference, CancellationToken cancellationToken, Digest? named = null)
    {
        stats.Of(target.Upstream).Miss();

        // By digest the client verifies the bytes against it; by tag against the Docker-Content-Digest announced.
        var fetched = await target.Upstream.Client.GetManifestAsync(target.Repository, named?.ToString() ?? reference.ToString(), cancellationToken);
        if (reference.Digest is { } asked && fetched.Digest != asked)
        {
            return new OciError(OciErrorCode.DigestInvalid, $"the upstream {target.Upstream.Label} sent a manifest that is not {asked}");
        }

        if (named is { } n && fetched.Digest != n)
        {
            // Moved again between the HEAD and the GET: the GET's verified bytes are the newest answer; keep them.
            LogTagMoved(logger, repository, reference.ToString(), n.ToString(), fetched.Digest.ToString());
        }

        stats.Of(target.Upstream).Fetched(fetched.Bytes.Length);
        var stored = await inner.CacheAsync(repository, reference, fetched.MediaType, fetched.Bytes, cancellationToken);
        if (!stored.IsSuccess)
        {
            return stored.Error;
        }

        if (reference.IsTag)
        {
            await RecordTagAsync(repository, reference.Tag!, fetched.Digest, cancellationToken);
        }

        return new ManifestContent(fetched.Digest, fetched.MediaType, fetched.Bytes);
    }

    private static Reference TagReference(string tag)
    {
        Reference.TryParse(tag, out var reference);
        return reference;
    }

    private Task RecordTagAsync(string repository, string tag, Digest digest, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var now = time.GetUtcNow().UtcDateTime;
        return db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "mirror_tags" ("Repository", "Tag", "Digest", "CheckedAt") VALUES ({repository}, {tag}, {key}, {now})
            ON CONFLICT ("Repository", "Tag") DO UPDATE SET "Digest" = excluded."Digest", "CheckedAt" = excluded."CheckedAt"
            """,
            cancellationToken);
    }

    private Result<ManifestContent> Stale(ManifestContent? cached, MirrorTarget target, string reason)
    {
        if (cached is null)
        {
            return UpstreamErrors.Unavailable(target.Upstream, reason);
        }

        stats.Of(target.Upstream).Hit();
        response.Warning = MirrorResponse.StaleWarning;
        return cached;
    }

    public async Task<Result<ManifestPushed>> PutAsync(string repository, Reference reference, IReadOnlyList<string> tags, string? contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        router.IsMirrored(repository) ? UpstreamErrors.PushRefused(repository) : await inner.PutAsync(repository, reference, tags, contentType, content, cancellationToken);

    public async Task<Result<ManifestDeleted>> DeleteAsync(string repository, Reference reference, CancellationToken cancellationToken) =>
        router.IsMirrored(repository) ? UpstreamErrors.PushRefused(repository) : await inner.DeleteAsync(repository, reference, cancellationToken);

    public Task<Result<Page<string>>> ListTagsAsync(string repository, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListTagsAsync(repository, limit, last, cancellationToken);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken) =>
        inner.ListReferrersAsync(repository, subject, artifactType, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirrored tag {Repository}:{Tag} moved upstream from {Old} to {New}")]
    private static partial void LogTagMoved(ILogger logger, string repository, string tag, string old, string @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mirror upstream {Upstream} failed for {Repository}:{Reference}: {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string upstream, string repository, string reference, string reason);
}
