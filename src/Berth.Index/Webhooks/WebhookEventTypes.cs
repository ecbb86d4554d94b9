namespace Berth.Index.Webhooks;

/// <summary>The event types a webhook can subscribe to (docs/API.md, "Webhooks"), as sent in the payload's <c>type</c>.</summary>
public static class WebhookEventTypes
{
    public const string Push = "push";
    public const string TagDeleted = "tag.deleted";
    public const string ManifestDeleted = "manifest.deleted";
    public const string RepositoryCreated = "repository.created";
    public const string RepositoryDeleted = "repository.deleted";
    public const string VisibilityChanged = "repository.visibility.changed";
    public const string Star = "star";
    public const string Comment = "comment";

    /// <summary>Sent on request (<c>…/ping</c>) whatever the webhook subscribes to; not subscribable.</summary>
    public const string Ping = "ping";

    /// <summary>What a webhook may subscribe to, in the order the API lists them.</summary>
    public static readonly IReadOnlyList<string> Subscribable =
        [Push, TagDeleted, ManifestDeleted, RepositoryCreated, RepositoryDeleted, VisibilityChanged, Star, Comment];

    public static bool IsSubscribable(string type) => Subscribable.Contains(type, StringComparer.Ordinal);
}
