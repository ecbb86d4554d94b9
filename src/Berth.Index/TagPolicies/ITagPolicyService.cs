using Berth.Index.Accounts;
using Berth.Index.Webhooks;

namespace Berth.Index.TagPolicies;

/// <summary>An immutability rule as the API shows it.</summary>
public sealed record TagRuleInfo(long Id, string Pattern, DateTime CreatedAt, string? CreatedBy);

/// <summary>A retention policy as the API shows it.</summary>
public sealed record RetentionPolicyInfo(long Id, string Pattern, int? KeepLast, int? KeepDays, DateTime CreatedAt, string? CreatedBy);

/// <summary>
/// Tag immutability rules and retention policies of a repository or a namespace (<see cref="WebhookScope"/> names it),
/// managed by whoever administers that scope (<c>AdministeredScopes</c>). The registry enforces rules on every move and
/// delete of a tag; the garbage-collection worker applies the policies.
/// </summary>
public interface ITagPolicyService
{
    /// <summary>Rules or policies one scope may have.</summary>
    public const int MaxPerScope = 50;

    Task<Outcome<IReadOnlyList<TagRuleInfo>>> ListRulesAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken);

    Task<Outcome<TagRuleInfo>> CreateRuleAsync(Principal caller, WebhookScope scope, string? pattern, CancellationToken cancellationToken);

    /// <summary>Lifts a rule: its tags may move and be deleted from the next request on.</summary>
    Task<Outcome<bool>> DeleteRuleAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);

    Task<Outcome<IReadOnlyList<RetentionPolicyInfo>>> ListPoliciesAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken);

    Task<Outcome<RetentionPolicyInfo>> CreatePolicyAsync(Principal caller, WebhookScope scope, string? pattern, int? keepLast, int? keepDays, CancellationToken cancellationToken);

    Task<Outcome<bool>> DeletePolicyAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);
}
