using System.Text.Json;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Webhooks;

/// <summary>
/// Turns a change into <see cref="WebhookDelivery"/> rows that commit with the change or not at all; never on the wire
/// from here. The index's own changes (<see cref="AddRepositoryEvent"/>) add them to the caller's
/// <see cref="BerthDbContext"/> for its <c>SaveChanges</c>; a registry event (<see cref="AddRegistryEventAsync"/>, one
/// per push, in the caller's open transaction) inserts them in one statement: as tracked entities, ten webhooks cost a
/// push's event about a millisecond of CPU and as long again of the database's one writer, which the pushes wait for.
/// The caller calls <see cref="Notify"/> after its commit to wake the delivery worker. With no webhook listening, the
/// cost is one indexed query per repository of a batch (<see cref="MatchBeforeAsync"/>), outside the write lock.
/// </summary>
public sealed class WebhookFanout(BerthDbContext db, WebhookLinks links, WebhookSignal signal, IndexOptions options, TimeProvider time)
{
    private static readonly string[] InsertedColumns =
    [
        nameof(WebhookDelivery.WebhookId), nameof(WebhookDelivery.MessageId), nameof(WebhookDelivery.EventType), nameof(WebhookDelivery.Payload),
        nameof(WebhookDelivery.CreatedAt), nameof(WebhookDelivery.State), nameof(WebhookDelivery.Attempts), nameof(WebhookDelivery.NextAttemptAt),
    ];

    private bool _added;

    /// <summary>
    /// The enabled webhooks of <paramref name="repository"/> and of its namespace, read before the change (a repository
    /// about to be deleted still has its id; one about to be created by a push has none, and its namespace's hear of it).
    /// </summary>
    public async Task<WebhookTargets> MatchAsync(string repository, CancellationToken cancellationToken)
    {
        var @namespace = RepositoryRecords.NamespaceOf(repository);
        var hooks = await db.Webhooks.AsNoTracking()
            // The null checks matter: without them a missing repository (or namespace) compares equal to every webhook
            // without one (SQL null semantics as EF writes them).
            .Where(w => w.Enabled
                && ((w.RepositoryId != null && w.RepositoryId == db.Repositories.Where(r => r.Name == repository).Select(r => (long?)r.Id).FirstOrDefault())
                    || (w.NamespaceId != null && w.NamespaceId == db.Namespaces.Where(n => n.Name == @namespace).Select(n => (long?)n.Id).FirstOrDefault())))
            .OrderBy(w => w.Id)
            .Select(w => new WebhookTarget(w.Id, w.Events, w.RepositoryId != null))
            .ToListAsync(cancellationToken);
        if (hooks.Count == 0)
        {
            return WebhookTargets.None;
        }

        var record = await db.Repositories.AsNoTracking()
            .Where(r => r.Name == repository)
            .Select(r => new { r.Visibility, r.LastPushedAt, r.CreatedBy })
            .FirstOrDefaultAsync(cancellationToken);
        return new WebhookTargets(
            repository,
            @namespace,
            hooks,
            record?.Visibility ?? options.DefaultVisibility,
            record is null || (record.LastPushedAt is null && record.CreatedBy is not null));
    }

    /// <summary>
    /// The targets of each of a batch of registry events, matched before the batch's write transaction opens (reads
    /// need no write lock; inside it, ten pushes' matches were ten pairs of queries that every push waited behind),
    /// once per repository of the batch. The state the events change is carried along in order: only a repository's
    /// first push in the batch can have created it. A webhook created while the batch is applied is not matched (as if
    /// created just after it); one deleted or disabled meanwhile is left out by <see cref="StillListeningAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<WebhookTargets>> MatchBeforeAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var byRepository = new Dictionary<string, WebhookTargets>(StringComparer.Ordinal);
        var targets = new WebhookTargets[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Action == RegistryActions.Pull)
            {
                targets[i] = WebhookTargets.None;
                continue;
            }

            if (!byRepository.TryGetValue(e.Repository, out var matched))
            {
                matched = await MatchAsync(e.Repository, cancellationToken);
                byRepository[e.Repository] = matched;
            }

            targets[i] = matched;
            if (e.Action == RegistryActions.Push && matched.CreatedByThisPush)
            {
                byRepository[e.Repository] = matched with { CreatedByThisPush = false };
            }
        }

        return targets;
    }

    /// <summary>
    /// Of the webhooks in <paramref name="targets"/>, those still there and enabled, read inside the caller's
    /// transaction (one query for the batch, none when nothing matched): a delivery row for a webhook deleted since the
    /// match would break its foreign key and fail the whole batch.
    /// </summary>
    public async Task<IReadOnlySet<long>> StillListeningAsync(IReadOnlyList<WebhookTargets> targets, CancellationToken cancellationToken)
    {
        var ids = targets.SelectMany(t => t.Hooks).Select(h => h.Id).Distinct().ToList();
        if (ids.Count == 0)
        {
            return new HashSet<long>();
        }

        return (await db.Webhooks.AsNoTracking().Where(w => ids.Contains(w.Id) && w.Enabled).Select(w => w.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    /// <summary>
    /// A registry event: a push creating the repository is <c>repository.created</c>; a tagged push <c>push</c> (an
    /// untagged one, such as a multi-platform image's child manifests or a push by digest, sends nothing: the tag that
    /// names them follows); a delete by tag <c>tag.deleted</c>, by digest <c>manifest.deleted</c>. Inserted at once:
    /// call it inside the transaction of the change.
    /// </summary>
    public async Task AddRegistryEventAsync(WebhookTargets targets, RegistryEvent e, CancellationToken cancellationToken)
    {
        if (targets.IsEmpty)
        {
            return;
        }

        var rows = new List<WebhookDelivery>();

        var at = Utc(e.Timestamp);
        if (e.Action == RegistryActions.Push)
        {
            if (targets.CreatedByThisPush)
            {
                rows.AddRange(Deliveries(targets, WebhookEventTypes.RepositoryCreated, new WebhookEventData { Repository = Repository(targets), Actor = e.Actor, Time = at }));
            }

            if (e.Tag is not null)
            {
                var data = new WebhookEventData
                {
                    Repository = Repository(targets),
                    Tag = e.Tag,
                    Digest = e.Digest,
                    MediaType = e.MediaType,
                    Size = e.ImageSize,
                    Actor = e.Actor,
                    Pusher = e.Actor,
                    Time = at,
                    PullCommand = links.PullCommand(targets.Repository, e.Tag, null),
                };
                rows.AddRange(Deliveries(targets, WebhookEventTypes.Push, data, payload => payload with
                {
                    PushData = new DockerHubPushData(e.Tag, new DateTimeOffset(at).ToUnixTimeSeconds(), e.Actor),
                    Repository = DockerHub(targets),
                }));
            }
        }
        else if (e.Action == RegistryActions.Delete)
        {
            var data = new WebhookEventData { Repository = Repository(targets), Tag = e.Tag, Digest = e.Digest, MediaType = e.MediaType, Actor = e.Actor, Time = at };
            rows.AddRange(Deliveries(targets, e.Tag is null ? WebhookEventTypes.ManifestDeleted : WebhookEventTypes.TagDeleted, data));
        }

        await InsertAsync(rows, cancellationToken);
    }

    /// <summary>An index action on the repository (<c>repository.created</c> through the API, visibility, star, comment, delete).</summary>
    /// <param name="namespaceOnly">
    /// For <c>repository.deleted</c>: the repository's own webhooks are deleted with it (cascade), so only its
    /// namespace's hear of it.
    /// </param>
    public void AddRepositoryEvent(WebhookTargets targets, string type, string actor, WebhookEventData? extra = null, bool namespaceOnly = false)
    {
        if (targets.IsEmpty)
        {
            return;
        }

        var data = (extra ?? new WebhookEventData()) with { Repository = Repository(targets), Actor = actor, Time = Now() };
        Add(targets, type, data, namespaceOnly: namespaceOnly);
    }

    /// <summary>Wakes the delivery worker if deliveries were added; call after the caller's commit.</summary>
    public void Notify()
    {
        if (_added)
        {
            signal.Notify();
        }
    }

    private void Add(WebhookTargets targets, string type, WebhookEventData data, bool namespaceOnly = false)
    {
        foreach (var delivery in Deliveries(targets, type, data, namespaceOnly: namespaceOnly))
        {
            db.WebhookDeliveries.Add(delivery);
            _added = true;
        }
    }

    /// <summary>One delivery per webhook that subscribes to <paramref name="type"/>, all with the same body (serialised once).</summary>
    private IEnumerable<WebhookDelivery> Deliveries(WebhookTargets targets, string type, WebhookEventData data, Func<WebhookPayload, WebhookPayload>? extend = null, bool namespaceOnly = false)
    {
        var now = Now();
        string? body = null;
        foreach (var hook in targets.Hooks)
        {
            if (!hook.Subscribes(type) || (namespaceOnly && hook.RepositoryScoped))
            {
                continue;
            }

            if (body is null)
            {
                var payload = new WebhookPayload(type, now, data);
                body = JsonSerializer.Serialize(extend is null ? payload : extend(payload), WebhookJson.Default.WebhookPayload);
            }

            yield return new WebhookDelivery
            {
                WebhookId = hook.Id,
                MessageId = WebhookMessageIds.New(),
                EventType = type,
                Payload = body,
                CreatedAt = now,
                State = WebhookDeliveryState.Pending,
                NextAttemptAt = now,
            };
        }
    }

    private async Task InsertAsync(List<WebhookDelivery> rows, CancellationToken cancellationToken)
    {
        await db.InsertRowsAsync(rows, InsertedColumns, cancellationToken);
        _added |= rows.Count > 0;
    }

    private WebhookRepository Repository(WebhookTargets t) =>
        new(t.Repository, t.Namespace, t.Visibility.ToString().ToLowerInvariant(), links.RepositoryUrl(t.Repository));

    private DockerHubRepository DockerHub(WebhookTargets t) =>
        new(
            t.Repository,
            t.Namespace.Length == 0 ? t.Repository : t.Repository[(t.Namespace.Length + 1)..],
            t.Namespace,
            t.Visibility == Visibility.Private,
            links.RepositoryUrl(t.Repository),
            "Active");

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    private static DateTime Utc(DateTime value) => value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
