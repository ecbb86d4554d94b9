using Berth.Data;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Manifests;

/// <summary>
/// The immutability rules that hold a repository's tags: its own and its namespace's. Read inside the transaction that
/// would move or delete a tag (transactions write one at a time on both databases), so a tag created by a concurrent
/// push is seen as existing and a rule added before that transaction began applies to it.
/// </summary>
internal sealed class ImmutableTags
{
    private readonly IReadOnlyList<(string Pattern, string Scope)> _rules;

    private ImmutableTags(IReadOnlyList<(string Pattern, string Scope)> rules) => _rules = rules;

    public bool IsEmpty => _rules.Count == 0;

    public static async Task<ImmutableTags> OfAsync(BerthDbContext db, long repositoryId, CancellationToken cancellationToken)
    {
        var rules = await db.ImmutableTagRules
            .Where(rule => rule.RepositoryId == repositoryId
                || db.Namespaces.Any(n => n.Id == rule.NamespaceId && db.Repositories.Any(r => r.Id == repositoryId && r.Namespace == n.Name)))
            .OrderBy(rule => rule.Id)
            .Select(rule => new
            {
                rule.Pattern,
                Repository = db.Repositories.Where(r => r.Id == rule.RepositoryId).Select(r => r.Name).FirstOrDefault(),
                Namespace = db.Namespaces.Where(n => n.Id == rule.NamespaceId).Select(n => n.Name).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return new ImmutableTags(rules.Select(r => (r.Pattern, r.Repository is not null ? $"repository {r.Repository}" : $"namespace {r.Namespace}")).ToList());
    }

    /// <summary>The first rule holding <paramref name="tag"/>, as "rule v* on namespace acme"; null when none does.</summary>
    public string? Holding(string tag)
    {
        foreach (var (pattern, scope) in _rules)
        {
            if (TagPattern.Matches(pattern, tag))
            {
                return $"rule {pattern} on {scope}";
            }
        }

        return null;
    }

    /// <summary>The refusal of a move or delete of <paramref name="tag"/>, if a rule holds it.</summary>
    public OciError? Refusal(string tag) =>
        Holding(tag) is { } rule
            ? new OciError(OciErrorCode.Denied, $"tag {tag} is immutable ({rule})", new { tag, rule })
            : null;
}
