using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

/// <summary>An enabled webhook an event may go to: the repository's own (<see cref="RepositoryId"/>) or its namespace's.</summary>
public sealed record WebhookTarget(long Id, string Events, long? RepositoryId, long? NamespaceId)
{
    public bool RepositoryScoped => RepositoryId is not null;

    public bool Subscribes(string type) => WebhookValidation.ParseEvents(Events).Contains(type, StringComparer.Ordinal);
}

/// <summary>
/// The webhooks that hear of a repository's events, read before the change, with what the payload needs of the
/// repository as it was. <see cref="None"/> (no query beyond the match) when no webhook listens.
/// </summary>
/// <param name="CreatedByThisPush">The repository had no push yet and was created by a push (not the API), or did not exist.</param>
public sealed record WebhookTargets(string Repository, string Namespace, IReadOnlyList<WebhookTarget> Hooks, Visibility Visibility, bool CreatedByThisPush)
{
    public static readonly WebhookTargets None = new("", "", [], Visibility.Private, false);

    public bool IsEmpty => Hooks.Count == 0;

    /// <summary>The repository's id if it had one at the match (its own webhooks read the events by it).</summary>
    public long? RepositoryId { get; init; }

    /// <summary>The namespace's id if one of its webhooks matched (they read the events by it).</summary>
    public long? NamespaceId => Hooks.FirstOrDefault(h => h.NamespaceId is not null)?.NamespaceId;
}
