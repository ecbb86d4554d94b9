using System.Text.Json;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Berth.Data.Gc;
using Berth.Data.Quotas;
using Berth.Oci;
using Berth.Registry.Events;
using Berth.Registry.Gc;
using Berth.Registry.Quotas;
using Berth.Registry.Retention;
using Berth.Registry.Storage;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Manifests;

/// <summary>
/// Manifests and tags in the database. Every change is written with its registry events (<see cref="Outbox"/>) in one
/// transaction, so an event is never lost after a commit nor sent for a change that was rolled back.
/// </summary>
internal sealed class ManifestStore(BerthDbContext db, IStorageDriver storage, RepositoryDefaults defaults, RegistryCaller caller, OutboxSignal outbox, TimeProvider time) : IManifestStore
{
    // The two reads every pull starts with, compiled once: no expression tree is built, hashed and looked up
    // in EF's query cache per request.
    private static readonly Func<BerthDbContext, string, string, CancellationToken, Task<ManifestRow?>> ManifestByTag =
        EF.CompileAsyncQuery((BerthDbContext db, string repository, string tag, CancellationToken cancellationToken) =>
            (from r in db.Repositories
             where r.Name == repository
             join t in db.Tags on r.Id equals t.RepositoryId
             where t.Name == tag
             join m in db.Manifests on new { t.RepositoryId, Digest = t.ManifestDigest } equals new { m.RepositoryId, m.Digest }
             select new ManifestRow(m.Digest, m.MediaType, m.Content)).FirstOrDefault());

    private static readonly Func<BerthDbContext, string, string, CancellationToken, Task<ManifestRow?>> ManifestByDigest =
        EF.CompileAsyncQuery((BerthDbContext db, string repository, string digest, CancellationToken cancellationToken) =>
            (from r in db.Repositories
             where r.Name == repository
             join m in db.Manifests on r.Id equals m.RepositoryId
             where m.Digest == digest
             select new ManifestRow(m.Digest, m.MediaType, m.Content)).FirstOrDefault());

    // Every push asks these in its write transaction, which other pushes wait for: compiled once.
    private static readonly Func<BerthDbContext, long, List<string>, IAsyncEnumerable<LinkedBlob>> LinkedBlobs =
        EF.CompileAsyncQuery((BerthDbContext db, long repositoryId, List<string> digests) =>
            db.RepositoryBlobs.Where(l => l.RepositoryId == repositoryId && digests.Contains(l.Digest)).Select(l => new LinkedBlob(l.Digest, l.Size)));

    private static readonly Func<BerthDbContext, long, List<string>, IAsyncEnumerable<string>> PresentManifests =
        EF.CompileAsyncQuery((BerthDbContext db, long repositoryId, List<string> digests) =>
            db.Manifests.Where(m => m.RepositoryId == repositoryId && digests.Contains(m.Digest)).Select(m => m.Digest));

    private static readonly Func<BerthDbContext, long, List<string>, IAsyncEnumerable<TagRecord>> TagsNamed =
        EF.CompileAsyncQuery((BerthDbContext db, long repositoryId, List<string> names) =>
            db.Tags.Where(t => t.RepositoryId == repositoryId && names.Contains(t.Name)));

    private static readonly Func<BerthDbContext, long, string, CancellationToken, Task<bool>> HasManifest =
        EF.CompileAsyncQuery((BerthDbContext db, long repositoryId, string digest, CancellationToken cancellationToken) =>
            db.Manifests.Any(m => m.RepositoryId == repositoryId && m.Digest == digest));

    public async Task<Result<ManifestContent>> GetAsync(string repository, Reference reference, CancellationToken cancellationToken)
    {
        var found = reference.IsTag
            ? await ManifestByTag(db, repository, reference.Tag!, cancellationToken)
            : await ManifestByDigest(db, repository, reference.Digest!.Value.ToString(), cancellationToken);
        if (found is not null)
        {
            return new ManifestContent(Digest.Parse(found.Digest), found.MediaType, found.Content);
        }

        return await db.FindIdAsync(repository, cancellationToken) == 0
            ? new OciError(OciErrorCode.NameUnknown, Detail: new { name = repository })
            : new OciError(OciErrorCode.ManifestUnknown, Detail: new { reference = reference.ToString() });
    }

    public Task<Result<ManifestPushed>> PutAsync(string repository, Reference reference, IReadOnlyList<string> tags, string? contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        StoreAsync(repository, reference, tags, contentType, content, requireReferences: true, caller.Subject, cancellationToken);

    /// <summary>
    /// Stores a manifest a pull-through mirror fetched from its upstream (tagged when <paramref name="reference"/> is a
    /// tag): as a push, with its references, referrer fields, tag and events, except that the blobs and child manifests
    /// it names need not be here yet (the mirror fetches them when they are asked for). No one is recorded as its
    /// pusher or the repository's creator: the mirror made it, not the client whose pull caused it.
    /// </summary>
    internal Task<Result<ManifestPushed>> CacheAsync(string repository, Reference reference, string mediaType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        StoreAsync(repository, reference, [], mediaType, content, requireReferences: false, subject: null, cancellationToken);

    private async Task<Result<ManifestPushed>> StoreAsync(string repository, Reference reference, IReadOnlyList<string> tags, string? contentType, ReadOnlyMemory<byte> content, bool requireReferences, string? subject, CancellationToken cancellationToken)
    {
        if (content.Length > ManifestParser.MaxManifestBytes)
        {
            return TooLarge();
        }

        if (tags.FirstOrDefault(t => !Tag.IsValid(t)) is { } invalid)
        {
            return new OciError(OciErrorCode.ManifestInvalid, "invalid tag", new { tag = invalid.Length <= 300 ? invalid : invalid[..300] });
        }

        var parsed = ManifestParser.Parse(content, contentType);
        if (!parsed.IsSuccess)
        {
            return parsed.Error;
        }

        var document = parsed.Value;
        var digest = Digest.Compute(reference.Digest?.Algorithm ?? DigestAlgorithm.Sha256, content.Span);
        if (reference.Digest is { } named && named != digest)
        {
            return new OciError(OciErrorCode.DigestInvalid, "the manifest's digest does not match the reference", new { expected = named.ToString(), actual = digest.ToString() });
        }

        var now = time.GetUtcNow().UtcDateTime;

        // Only a tagged push is recorded by the index with its platforms: an index's children, pushed by digest, cost no read.
        var tagged = reference.IsTag || tags.Count > 0;
        var platforms = tagged ? await ManifestPlatforms.OfAsync(document, storage, cancellationToken) : null;
        var digestText = digest.ToString();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A repository's first manifest creates its record in the same commit (none for a refused push).
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, subject, cancellationToken);

        // Any failure below rolls the whole push back: its one save (the manifest, its references, tags and events)
        // needs no savepoint of its own.
        using var savepointsOff = db.WithoutSavepoints();

        // Checked inside the transaction, which the garbage collector's cannot interleave with: a blob it removed
        // before is missing here (MANIFEST_BLOB_UNKNOWN), and one it reviews after is referenced by this manifest.
        var missing = requireReferences ? await FindMissingReferencesAsync(repositoryId, document, cancellationToken) : null;
        if (missing is not null)
        {
            return missing;
        }

        // The manifest and all its tags in one transaction: a client never sees some of the tags it asked for.
        var applied = (reference.IsTag ? tags.Prepend(reference.Tag) : tags).Distinct(StringComparer.Ordinal).ToList();
        var existing = new Dictionary<string, TagRecord>(StringComparer.Ordinal);
        if (applied.Count > 0)
        {
            await foreach (var tag in TagsNamed(db, repositoryId, applied).WithCancellation(cancellationToken))
            {
                existing[tag.Name] = tag;
            }
        }

        if (requireReferences && existing.Values.Any(t => t.ManifestDigest != digestText))
        {
            // A tag would move: refused, with all the others, if a rule holds it. A new tag, or the same digest again, is
            // not a move. A mirror's cache (which needs no references) follows its upstream: rules hold pushes only.
            var immutable = await ImmutableTags.OfAsync(db, repositoryId, cancellationToken);
            if (existing.Values.Where(t => t.ManifestDigest != digestText).Select(t => immutable.Refusal(t.Name)).FirstOrDefault(r => r is not null) is { } refused)
            {
                return refused;
            }
        }

        if (!await HasManifest(db, repositoryId, digestText, cancellationToken))
        {
            // Its blobs were counted when they were linked; a namespace over its quota (lowered below its usage) takes
            // no new image until its usage drops. A pull-through cache fill is not a push and is not refused.
            if (requireReferences && await db.OverQuotaAsync(RepositoryRecords.NamespaceOf(repository), cancellationToken) is { } over)
            {
                return QuotaDenied.Error(over);
            }

            var manifest = new ManifestRecord
            {
                RepositoryId = repositoryId,
                Digest = digestText,
                MediaType = document.MediaType,
                ArtifactType = document.EffectiveArtifactType,
                Size = content.Length,
                Content = content.ToArray(),
                SubjectDigest = document.Subject?.Digest.ToString(),
                AnnotationsJson = document.Annotations is { Count: > 0 } a ? JsonSerializer.Serialize(a, RegistryJson.Default.IReadOnlyDictionaryStringString) : null,
                CreatedAt = now,
            };
            db.Manifests.Add(manifest);
            var references = document.RequiredBlobs.Select(d => (d.Digest.ToString(), false))
                .Concat(document.Manifests.Select(d => (d.Digest.ToString(), true)))
                .DistinctBy(r => r.Item1);
            db.ManifestReferences.AddRange(references.Select(r => new ManifestReference { Manifest = manifest, Digest = r.Item1, IsManifest = r.Item2 }));
            if (!tagged)
            {
                // Untagged from the start (an index's child, a referrer): reviewed by the untagged-manifest rules.
                await db.AddManifestsAsync(repositoryId, [digestText], now, cancellationToken);
            }
        }

        foreach (var name in applied)
        {
            if (existing.TryGetValue(name, out var tag))
            {
                if (tag.ManifestDigest != digestText)
                {
                    // The tag moves: the manifest it leaves may now be untagged.
                    await db.AddManifestsAsync(repositoryId, [tag.ManifestDigest], now, cancellationToken);
                }

                tag.ManifestDigest = digestText;
                tag.UpdatedAt = now;
            }
            else
            {
                db.Tags.Add(new TagRecord { RepositoryId = repositoryId, Name = name, ManifestDigest = digestText, UpdatedAt = now });
            }
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE "repositories" SET "LastPushedAt" = {now} WHERE "Id" = {repositoryId}""", cancellationToken);
        var referenced = document.Config is null ? 0 : document.Config.Size;
        referenced += document.Layers.Sum(l => l.Size) + document.Manifests.Sum(m => m.Size);
        var pushed = new ManifestPushed(digest, document.Subject?.Digest, document.MediaType, content.Length, content.Length + referenced);

        // One push event per tag, as if each had been pushed by itself (the index records tags from them); one
        // without a tag for a push by digest alone. The first push event of a repository is also its creation.
        IEnumerable<string?> eventTags = applied.Count == 0 ? new string?[] { null } : applied;
        foreach (var tag in eventTags)
        {
            db.AddOutboxEvent(new RegistryEvent(Outbox.NewEventId(), RegistryActions.Push, repository, tag, digestText, pushed.MediaType, pushed.Size, pushed.ImageSize, subject, now, Platforms: tag is null ? null : platforms));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outbox.Notify();
        return pushed;
    }

    public async Task<Result<ManifestDeleted>> DeleteAsync(string repository, Reference reference, CancellationToken cancellationToken)
    {
        var repositoryId = await db.FindIdAsync(repository, cancellationToken);
        if (repositoryId == 0)
        {
            return new OciError(OciErrorCode.NameUnknown, Detail: new { name = repository });
        }

        if (reference.IsTag)
        {
            var untagged = await UntagAsync(repositoryId, repository, reference.Tag!, expected: null, caller.Subject, cancellationToken);
            return untagged.IsSuccess ? new ManifestDeleted(Digest.Parse(untagged.Value.Digest), untagged.Value.Tag, untagged.Value.MediaType) : untagged.Error;
        }

        var digest = reference.Digest!.Value;
        var digestText = digest.ToString();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var mediaType = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digestText).Select(m => m.MediaType).FirstOrDefaultAsync(cancellationToken);
        if (mediaType is null)
        {
            return new OciError(OciErrorCode.ManifestUnknown, Detail: new { digest = digestText });
        }

        // Deleting the manifest deletes every tag pointing at it: refused if a rule holds one of them.
        var tagNames = await db.Tags.Where(t => t.RepositoryId == repositoryId && t.ManifestDigest == digestText).Select(t => t.Name).ToListAsync(cancellationToken);
        if (tagNames.Count > 0)
        {
            var immutable = await ImmutableTags.OfAsync(db, repositoryId, cancellationToken);
            if (tagNames.Order(StringComparer.Ordinal).Select(immutable.Refusal).FirstOrDefault(r => r is not null) is { } refused)
            {
                return refused;
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        await GcCandidates.AddDeletedManifestAsync(db, repositoryId, digestText, now, cancellationToken);
        await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digestText).ExecuteDeleteAsync(cancellationToken);
        await db.Tags.Where(t => t.RepositoryId == repositoryId && t.ManifestDigest == digestText).ExecuteDeleteAsync(cancellationToken);
        db.AddOutboxEvent(new RegistryEvent(Outbox.NewEventId(), RegistryActions.Delete, repository, null, digestText, mediaType, 0, 0, caller.Subject, now));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outbox.Notify();
        return new ManifestDeleted(digest, null, mediaType);
    }

    /// <summary>
    /// Removes one tag, as a client's <c>DELETE</c> by tag does (its event, its manifest queued for review), unless an
    /// immutability rule holds it. With <paramref name="expected"/> (retention), only if the tag still points where it
    /// did and was not pushed again since: a push meanwhile keeps it.
    /// </summary>
    internal async Task<Result<UntaggedTag>> UntagAsync(long repositoryId, string repository, string name, TagRecord? expected, string? subject, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var tag = await db.Tags.FirstOrDefaultAsync(t => t.RepositoryId == repositoryId && t.Name == name, cancellationToken);
        if (tag is null || (expected is not null && (tag.ManifestDigest != expected.ManifestDigest || tag.UpdatedAt != expected.UpdatedAt)))
        {
            return new OciError(OciErrorCode.ManifestUnknown, Detail: new { tag = name });
        }

        if ((await ImmutableTags.OfAsync(db, repositoryId, cancellationToken)).Refusal(name) is { } refused)
        {
            return refused;
        }

        var tagged = tag.ManifestDigest;
        var taggedType = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == tagged).Select(m => m.MediaType).FirstOrDefaultAsync(cancellationToken) ?? "";
        var untaggedAt = time.GetUtcNow().UtcDateTime;
        db.Tags.Remove(tag);
        db.AddOutboxEvent(new RegistryEvent(Outbox.NewEventId(), RegistryActions.Delete, repository, tag.Name, tagged, taggedType, 0, 0, subject, untaggedAt));
        await db.SaveChangesAsync(cancellationToken);
        await db.AddManifestsAsync(repositoryId, [tagged], untaggedAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken); // the tag's removal, its event and its candidate commit together
        outbox.Notify();
        return new UntaggedTag(repository, tag.Name, tagged, taggedType, tag.UpdatedAt);
    }

    public async Task<Result<Page<string>>> ListTagsAsync(string repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        var repositoryId = await db.FindIdAsync(repository, cancellationToken);
        if (repositoryId == 0)
        {
            return new OciError(OciErrorCode.NameUnknown, Detail: new { name = repository });
        }

        var query = db.Tags.Where(t => t.RepositoryId == repositoryId);
        if (!string.IsNullOrEmpty(last))
        {
            query = query.Where(t => string.Compare(t.Name, last) > 0);
        }

        return await Paging.TakePageAsync(query.OrderBy(t => t.Name).Select(t => t.Name), limit, cancellationToken);
    }

    public async Task<IReadOnlyList<Descriptor>> ListReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        var subjectText = subject.ToString();
        var query = from r in db.Repositories
                    where r.Name == repository
                    join m in db.Manifests on r.Id equals m.RepositoryId
                    where m.SubjectDigest == subjectText
                    select new { m.Digest, m.MediaType, m.Size, m.ArtifactType, m.AnnotationsJson };
        if (artifactType is not null)
        {
            query = query.Where(m => m.ArtifactType == artifactType);
        }

        var rows = await query.OrderBy(m => m.Digest).ToListAsync(cancellationToken);
        return rows.Select(m => new Descriptor(
                m.MediaType,
                Digest.Parse(m.Digest),
                m.Size,
                m.ArtifactType,
                m.AnnotationsJson is null ? null : JsonSerializer.Deserialize(m.AnnotationsJson, RegistryJson.Default.IReadOnlyDictionaryStringString)))
            .ToList();
    }

    /// <summary>The error for the first blob or child manifest the document names that the repository does not hold.</summary>
    private async Task<OciError?> FindMissingReferencesAsync(long repositoryId, ManifestDocument document, CancellationToken cancellationToken)
    {
        var blobs = document.RequiredBlobs.ToList();
        if (blobs.Count > 0)
        {
            var wanted = blobs.Select(b => b.Digest.ToString()).Distinct().ToList();
            var present = new Dictionary<string, long>(StringComparer.Ordinal);
            await foreach (var link in LinkedBlobs(db, repositoryId, wanted).WithCancellation(cancellationToken))
            {
                present[link.Digest] = link.Size;
            }

            foreach (var blob in blobs)
            {
                if (!present.TryGetValue(blob.Digest.ToString(), out var size))
                {
                    return new OciError(OciErrorCode.ManifestBlobUnknown, Detail: new { digest = blob.Digest.ToString() });
                }

                if (size != blob.Size)
                {
                    return new OciError(OciErrorCode.ManifestInvalid, $"descriptor of {blob.Digest} says {blob.Size} bytes, the blob has {size}");
                }
            }
        }

        if (document.Manifests.Count > 0)
        {
            var wanted = document.Manifests.Select(m => m.Digest.ToString()).Distinct().ToList();
            var present = new List<string>();
            await foreach (var found in PresentManifests(db, repositoryId, wanted).WithCancellation(cancellationToken))
            {
                present.Add(found);
            }

            var missing = wanted.Except(present, StringComparer.Ordinal).FirstOrDefault();
            if (missing is not null)
            {
                return new OciError(OciErrorCode.ManifestBlobUnknown, Detail: new { digest = missing });
            }
        }

        return null;
    }

    private sealed record ManifestRow(string Digest, string MediaType, byte[] Content);

    private sealed record LinkedBlob(string Digest, long Size);

    private static OciError TooLarge() =>
        new(OciErrorCode.SizeInvalid, $"manifest exceeds {ManifestParser.MaxManifestBytes} bytes", Status: 413);
}
