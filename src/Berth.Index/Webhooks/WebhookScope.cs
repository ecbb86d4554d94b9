namespace Berth.Index.Webhooks;

public enum WebhookScopeKind
{
    Repository,
    Organization,
    User,
}

/// <summary>
/// Whose webhooks (or tag immutability rules, or retention policies: the same scopes) an API call is about: one
/// repository's (<see cref="Name"/> its name), one organisation's (its name), or the caller's own user namespace (no
/// name: a user manages only their own).
/// </summary>
public readonly record struct WebhookScope(WebhookScopeKind Kind, string? Name)
{
    /// <summary>Webhooks one scope may have: every event is written once per webhook, in the transaction of its change.</summary>
    public const int MaxWebhooks = 20;

    public static WebhookScope User { get; } = new(WebhookScopeKind.User, null);

    public static WebhookScope Repository(string name) => new(WebhookScopeKind.Repository, name);

    public static WebhookScope Organization(string name) => new(WebhookScopeKind.Organization, name);
}
