using Berth.Data;
using Berth.Data.Entities;
using Berth.Oci;
using Berth.Registry.Manifests;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Retention;

/// <summary>
/// Applies the retention policies at the start of each garbage-collection pass. In each repository a policy covers
/// (its own, or every repository of its namespace), a tag matching a policy's pattern is kept if it is among that
/// policy's <c>keepLast</c> most recently pushed matching tags or was pushed within its <c>keepDays</c>; a tag that some
/// policy matches and none keeps is untagged, through the same path as a client's <c>DELETE</c> by tag (its event, its
/// webhooks, its manifest queued for the collector), unless an immutability rule holds it. Each tag is removed in its own
/// transaction that checks it was not pushed again meanwhile.
/// </summary>
internal sealed class TagRetention(BerthDbContext db, ManifestStore manifests, TimeProvider time)
{
    /// <summary>What went (a dry run: what would go), by repository then tag.</summary>
    public async Task<IReadOnlyList<UntaggedTag>> ApplyAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var policies = await db.RetentionPolicies.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        if (policies.Count == 0)
        {
            return [];
        }

        var repositoryIds = policies.Where(p => p.RepositoryId != null).Select(p => p.RepositoryId!.Value).ToList();
        var namespaceIds = policies.Where(p => p.NamespaceId != null).Select(p => p.NamespaceId!.Value).ToList();
        var namespaces = await db.Namespaces.Where(n => namespaceIds.Contains(n.Id)).ToDictionaryAsync(n => n.Name, n => n.Id, StringComparer.Ordinal, cancellationToken);
        var namespaceNames = namespaces.Keys.ToList();
        var repositories = await db.Repositories.AsNoTracking()
            .Where(r => repositoryIds.Contains(r.Id) || namespaceNames.Contains(r.Namespace))
            .OrderBy(r => r.Name).Select(r => new { r.Id, r.Name, r.Namespace }).ToListAsync(cancellationToken);

        var now = time.GetUtcNow().UtcDateTime;
        var untagged = new List<UntaggedTag>();
        foreach (var repository in repositories)
        {
            var applying = policies.Where(p => p.RepositoryId == repository.Id
                || (p.NamespaceId is { } ns && namespaces.TryGetValue(repository.Namespace, out var id) && id == ns)).ToList();
            var tags = await db.Tags.AsNoTracking().Where(t => t.RepositoryId == repository.Id).ToListAsync(cancellationToken);
            var doomed = Doomed(applying, tags, now);
            if (doomed.Count == 0)
            {
                continue;
            }

            var immutable = await ImmutableTags.OfAsync(db, repository.Id, cancellationToken);
            foreach (var tag in doomed.Where(t => immutable.Holding(t.Name) is null).OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                if (dryRun)
                {
                    var mediaType = await db.Manifests.Where(m => m.RepositoryId == repository.Id && m.Digest == tag.ManifestDigest)
                        .Select(m => m.MediaType).FirstOrDefaultAsync(cancellationToken) ?? "";
                    untagged.Add(new UntaggedTag(repository.Name, tag.Name, tag.ManifestDigest, mediaType, tag.UpdatedAt));
                    continue;
                }

                // Refused when pushed again, moved or made immutable since it was read: kept this pass.
                var removed = await manifests.UntagAsync(repository.Id, repository.Name, tag.Name, tag, subject: null, cancellationToken);
                if (removed.IsSuccess)
                {
                    untagged.Add(removed.Value);
                }
            }
        }

        return untagged;
    }

    /// <summary>The tags some policy matches and none keeps.</summary>
    internal static List<TagRecord> Doomed(IReadOnlyList<RetentionPolicy> policies, IReadOnlyList<TagRecord> tags, DateTime now)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            // Most recently pushed first; the name breaks ties so a dry run and the run after it agree.
            var matching = tags.Where(t => TagPattern.Matches(policy.Pattern, t.Name))
                .OrderByDescending(t => t.UpdatedAt).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
            for (var i = 0; i < matching.Count; i++)
            {
                var tag = matching[i];
                matched.Add(tag.Name);
                if ((policy.KeepLast is { } last && i < last) || (policy.KeepDays is { } days && tag.UpdatedAt >= now.AddDays(-days)))
                {
                    kept.Add(tag.Name);
                }
            }
        }

        return tags.Where(t => matched.Contains(t.Name) && !kept.Contains(t.Name)).ToList();
    }
}
