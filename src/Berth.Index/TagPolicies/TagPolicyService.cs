using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Permissions;
using Berth.Index.Webhooks;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.TagPolicies;

internal sealed class TagPolicyService(BerthDbContext db, AdministeredScopes scopes, IAuditLog audit, TimeProvider time) : ITagPolicyService
{
    private const int MaxKeepLast = 100_000;
    private const int MaxKeepDays = 36_500;

    public async Task<Outcome<IReadOnlyList<TagRuleInfo>>> ListRulesAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "tag rules", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var rules = await Rules(owner.Value).AsNoTracking().OrderBy(r => r.Id).ToListAsync(cancellationToken);
        return rules.Select(ToInfo).ToList();
    }

    public async Task<Outcome<TagRuleInfo>> CreateRuleAsync(Principal caller, WebhookScope scope, string? pattern, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "tag rules", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        if (Invalid(pattern) is { } invalid)
        {
            return invalid;
        }

        var rule = new ImmutableTagRule
        {
            RepositoryId = owner.Value.RepositoryId,
            NamespaceId = owner.Value.RepositoryId is null ? owner.Value.NamespaceId : null,
            Pattern = pattern!,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = caller.Name,
        };

        // Counted and inserted in one write transaction (one writer at a time on both databases).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var existing = await Rules(owner.Value).Select(r => r.Pattern).ToListAsync(cancellationToken);
        if (existing.Contains(rule.Pattern, StringComparer.Ordinal))
        {
            return IndexError.Conflict($"{owner.Value.Label} already has the rule {rule.Pattern}");
        }

        if (existing.Count >= ITagPolicyService.MaxPerScope)
        {
            return IndexError.Conflict($"{owner.Value.Label} already has {ITagPolicyService.MaxPerScope} tag rules, the most one repository or namespace may have");
        }

        db.ImmutableTagRules.Add(rule);
        audit.Add(caller.Name, AuditActions.TagRuleCreated, owner.Value.Label, $"immutable tags {rule.Pattern}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ToInfo(rule);
    }

    public async Task<Outcome<bool>> DeleteRuleAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "tag rules", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var rule = await Rules(owner.Value).FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return IndexError.NotFound($"tag rule {id}");
        }

        db.ImmutableTagRules.Remove(rule);
        audit.Add(caller.Name, AuditActions.TagRuleDeleted, owner.Value.Label, $"immutable tags {rule.Pattern}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<Outcome<IReadOnlyList<RetentionPolicyInfo>>> ListPoliciesAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "retention policies", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var policies = await Policies(owner.Value).AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        return policies.Select(ToInfo).ToList();
    }

    public async Task<Outcome<RetentionPolicyInfo>> CreatePolicyAsync(Principal caller, WebhookScope scope, string? pattern, int? keepLast, int? keepDays, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "retention policies", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        if (Invalid(pattern) is { } invalid)
        {
            return invalid;
        }

        if (keepLast is null && keepDays is null)
        {
            return IndexError.Invalid("a retention policy keeps the last keepLast tags, those pushed within keepDays days, or both: give at least one");
        }

        if (keepLast is < 1 or > MaxKeepLast)
        {
            return IndexError.Invalid($"keepLast must be between 1 and {MaxKeepLast}");
        }

        if (keepDays is < 1 or > MaxKeepDays)
        {
            return IndexError.Invalid($"keepDays must be between 1 and {MaxKeepDays}");
        }

        var policy = new RetentionPolicy
        {
            RepositoryId = owner.Value.RepositoryId,
            NamespaceId = owner.Value.RepositoryId is null ? owner.Value.NamespaceId : null,
            Pattern = pattern!,
            KeepLast = keepLast,
            KeepDays = keepDays,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = caller.Name,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await Policies(owner.Value).CountAsync(cancellationToken) >= ITagPolicyService.MaxPerScope)
        {
            return IndexError.Conflict($"{owner.Value.Label} already has {ITagPolicyService.MaxPerScope} retention policies, the most one repository or namespace may have");
        }

        db.RetentionPolicies.Add(policy);
        audit.Add(caller.Name, AuditActions.RetentionPolicyCreated, owner.Value.Label, Describe(policy));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ToInfo(policy);
    }

    public async Task<Outcome<bool>> DeletePolicyAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var owner = await scopes.RequireAsync(caller, scope, "retention policies", cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var policy = await Policies(owner.Value).FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (policy is null)
        {
            return IndexError.NotFound($"retention policy {id}");
        }

        db.RetentionPolicies.Remove(policy);
        audit.Add(caller.Name, AuditActions.RetentionPolicyDeleted, owner.Value.Label, Describe(policy));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private static IndexError? Invalid(string? pattern) =>
        TagPattern.IsValid(pattern)
            ? null
            : IndexError.Invalid("pattern must be a tag pattern: letters, digits, '_', '.', '-' (not first), '*' for any run of characters and '?' for one, at most 128 characters (e.g. v*, release-*)");

    // Ids are global, so every lookup by id goes through these.
    private IQueryable<ImmutableTagRule> Rules(AdministeredScope owner) =>
        owner.RepositoryId is { } repositoryId
            ? db.ImmutableTagRules.Where(r => r.RepositoryId == repositoryId)
            : db.ImmutableTagRules.Where(r => r.RepositoryId == null && r.NamespaceId == owner.NamespaceId);

    private IQueryable<RetentionPolicy> Policies(AdministeredScope owner) =>
        owner.RepositoryId is { } repositoryId
            ? db.RetentionPolicies.Where(p => p.RepositoryId == repositoryId)
            : db.RetentionPolicies.Where(p => p.RepositoryId == null && p.NamespaceId == owner.NamespaceId);

    private static string Describe(RetentionPolicy p) => $"retention {p.Pattern}: keep last {p.KeepLast?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, days {p.KeepDays?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}";

    private static TagRuleInfo ToInfo(ImmutableTagRule r) => new(r.Id, r.Pattern, Times.Utc(r.CreatedAt), r.CreatedBy);

    private static RetentionPolicyInfo ToInfo(RetentionPolicy p) => new(p.Id, p.Pattern, p.KeepLast, p.KeepDays, Times.Utc(p.CreatedAt), p.CreatedBy);
}
