using System.Text.Json;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Webhooks;

/// <summary>
/// Turns a change into one <see cref="WebhookEvent"/> row, however many webhooks hear of it, that commits with the
/// change or not at all; never on the wire from here. The delivery worker queues each webhook's deliveries from those
/// rows (<see cref="WebhookFeed"/>), off the change's path: ten webhooks' rows written with every push cost the
/// pushes 16–22 % of their rate, through the database's one writer that they wait for. The caller calls
/// <see cref="Notify"/> after its commit to wake the worker. With no webhook listening, the cost is one indexed query
/// per repository of a batch (<see cref="MatchBeforeAsync"/>), outside the write lock, and no row.
/// </summary>
public sealed class WebhookFanout(BerthDbContext db, WebhookLinks links, WebhookSignal signal, IndexOptions options, TimeProvider time)
{
    // Asked once per repository of every batch the index applies: compiled once.
    private static readonly Func<BerthDbContext, string, string, IAsyncEnumerable<WebhookTarget>> EnabledHooks =
        EF.CompileAsyncQuery((BerthDbContext db, string repository, string @namespace) =>
            db.Webhooks.AsNoTracking()
                // The null checks matter: without them a missing repository (or namespace) compares equal to every webhook
                // without one (SQL null semantics as EF writes them).
                .Where(w => w.Enabled
                    && ((w.RepositoryId != null && w.RepositoryId == db.Repositories.Where(r => r.Name == repository).Select(r => (long?)r.Id).FirstOrDefault())
                        || (w.NamespaceId != null && w.NamespaceId == db.Namespaces.Where(n => n.Name == @namespace).Select(n => (long?)n.Id).FirstOrDefault())))
                .OrderBy(w => w.Id)
                .Select(w => new WebhookTarget(w.Id, w.Events, w.RepositoryId, w.NamespaceId)));

    private bool _added;

    /// <summary>
    /// The enabled webhooks of <paramref name="repository"/> and of its namespace, read before the change (a repository
    /// about to be deleted still has its id; one about to be created by a push has none, and its namespace's hear of it).
    /// </summary>
    public async Task<WebhookTargets> MatchAsync(string repository, CancellationToken cancellationToken)
    {
        var @namespace = RepositoryRecords.NamespaceOf(repository);
        var hooks = new List<WebhookTarget>();
        await foreach (var hook in EnabledHooks(db, repository, @namespace).WithCancellation(cancellationToken))
        {
            hooks.Add(hook);
        }

        if (hooks.Count == 0)
        {
            return WebhookTargets.None;
        }

        var record = await db.Repositories.AsNoTracking()
            .Where(r => r.Name == repository)
            .Select(r => new { r.Id, r.Visibility, r.LastPushedAt, r.CreatedBy })
            .FirstOrDefaultAsync(cancellationToken);
        return new WebhookTargets(
            repository,
            @namespace,
            hooks,
            record?.Visibility ?? options.DefaultVisibility,
            record is null || (record.LastPushedAt is null && record.CreatedBy is not null))
        {
            RepositoryId = record?.Id,
        };
    }

    /// <summary>
    /// The targets of each of a batch of registry events, matched before the batch's write transaction opens (reads
    /// need no write lock; inside it, ten pushes' matches were ten pairs of queries that every push waited behind),
    /// once per repository of the batch. The state the events change is carried along in order: only a repository's
    /// first push in the batch can have created it. A webhook created while the batch is applied is not matched (as if
    /// created just after it); one deleted or disabled meanwhile does not read the feed.
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
    /// A registry event: a push creating the repository is <c>repository.created</c>; a tagged push <c>push</c> (an
    /// untagged one, such as a multi-platform image's child manifests or a push by digest, sends nothing: the tag that
    /// names them follows); a delete by tag <c>tag.deleted</c>, by digest <c>manifest.deleted</c>. Saved at once:
    /// call it inside the transaction of the change.
    /// </summary>
    public async Task AddRegistryEventAsync(WebhookTargets targets, RegistryEvent e, CancellationToken cancellationToken)
    {
        if (targets.IsEmpty)
        {
            return;
        }

        var at = Utc(e.Timestamp);
        var added = false;
        if (e.Action == RegistryActions.Push)
        {
            if (targets.CreatedByThisPush)
            {
                added |= Add(targets, WebhookEventTypes.RepositoryCreated, new WebhookEventData { Repository = Repository(targets), Actor = e.Actor, Time = at });
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
                added |= Add(targets, WebhookEventTypes.Push, data, payload => payload with
                {
                    PushData = new DockerHubPushData(e.Tag, new DateTimeOffset(at).ToUnixTimeSeconds(), e.Actor),
                    Repository = DockerHub(targets),
                });
            }
        }
        else if (e.Action == RegistryActions.Delete)
        {
            var data = new WebhookEventData { Repository = Repository(targets), Tag = e.Tag, Digest = e.Digest, MediaType = e.MediaType, Actor = e.Actor, Time = at };
            added = Add(targets, e.Tag is null ? WebhookEventTypes.ManifestDeleted : WebhookEventTypes.TagDeleted, data);
        }

        if (added)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>An index action on the repository (<c>repository.created</c> through the API, visibility, star, comment, delete).</summary>
    /// <param name="namespaceOnly">
    /// For <c>repository.deleted</c>: the repository's own webhooks are deleted with it (cascade), so only its
    /// namespace's hear of it.
    /// </param>
    /// <remarks>The event is added to the caller's context, for its <c>SaveChanges</c>.</remarks>
    public void AddRepositoryEvent(WebhookTargets targets, string type, string actor, WebhookEventData? extra = null, bool namespaceOnly = false)
    {
        if (targets.IsEmpty)
        {
            return;
        }

        var data = (extra ?? new WebhookEventData()) with { Repository = Repository(targets), Actor = actor, Time = Now() };
        Add(targets, type, data, namespaceOnly: namespaceOnly);
    }

    /// <summary>Wakes the delivery worker if events were added; call after the caller's commit.</summary>
    public void Notify()
    {
        if (_added)
        {
            signal.Notify();
        }
    }

    /// <summary>
    /// One event row, when a webhook of <paramref name="targets"/> subscribes to <paramref name="type"/>: its body is
    /// the same for every webhook, serialised once.
    /// </summary>
    private bool Add(WebhookTargets targets, string type, WebhookEventData data, Func<WebhookPayload, WebhookPayload>? extend = null, bool namespaceOnly = false)
    {
        if (!targets.Hooks.Any(h => h.Subscribes(type) && !(namespaceOnly && h.RepositoryScoped)))
        {
            return false;
        }

        var now = Now();
        var payload = new WebhookPayload(type, now, data);
        db.WebhookEvents.Add(new WebhookEvent
        {
            RepositoryId = namespaceOnly ? null : targets.RepositoryId,
            NamespaceId = targets.NamespaceId,
            EventType = type,
            Payload = JsonSerializer.Serialize(extend is null ? payload : extend(payload), WebhookJson.Default.WebhookPayload),
            CreatedAt = now,
        });
        _added = true;
        return true;
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
