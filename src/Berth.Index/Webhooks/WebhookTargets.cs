using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

/// <summary>An enabled webhook an event may go to, and whether it is the repository's own (not its namespace's).</summary>
public sealed record WebhookTarget(long Id, string Events, bool RepositoryScoped)
{
    public bool Subscribes(string type) => Events.Split(',', StringSplitOptions.TrimEntries).Contains(type, StringComparer.Ordinal);
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

    /// <summary>These targets less the webhooks not in <paramref name="ids"/> (deleted or disabled since the match).</summary>
    public WebhookTargets Only(IReadOnlySet<long> ids) =>
        Hooks.All(h => ids.Contains(h.Id)) ? this : this with { Hooks = [.. Hooks.Where(h => ids.Contains(h.Id))] };
}
