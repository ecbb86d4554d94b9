using Berth.Data.Entities;
using Berth.Index;
using Berth.Index.Audit;
using Berth.Index.Organizations;
using Berth.Index.Repositories;
using Berth.Index.Social;
using Berth.Index.Webhooks;
using IndexDeliveryDetails = Berth.Index.Webhooks.WebhookDeliveryDetails;

namespace Berth.Server.Api;

/// <summary>Index views to wire shapes (the words for the index's enumerations are <see cref="IndexWords"/>).</summary>
internal static class ApiMapping
{
    public static RepositorySummary ToSummary(RepositoryInfo r) =>
        new(r.Name, r.Namespace, IndexWords.Word(r.Visibility), r.Description, r.StarCount, r.PullCount, r.LastPushedAt);

    public static List<RepositorySummary> ToSummaries(IEnumerable<RepositoryInfo> repositories) => [.. repositories.Select(ToSummary)];

    public static Repository ToRepository(RepositoryDetails d)
    {
        var r = d.Summary;
        return new Repository(r.Name, r.Namespace, IndexWords.Word(r.Visibility), r.Description, r.StarCount, r.PullCount, r.LastPushedAt,
            d.CreatedAt, d.CommentCount, d.Starred, IndexWords.Word(d.Permission), ToTags(d.Tags), d.MirrorSource);
    }

    public static List<Tag> ToTags(IEnumerable<TagInfo> tags) => [.. tags.Select(t => new Tag(t.Name, t.Digest, t.MediaType, t.Size, t.PushedAt))];

    public static Comment ToComment(CommentInfo c) => new(c.Id, c.Author, c.Body, c.Html, c.CreatedAt, c.UpdatedAt);

    public static Organization ToOrganization(OrganizationInfo o) => new(
        o.Name,
        o.Description,
        o.MembersCanCreateRepositories,
        o.Members?.Select(m => new OrganizationMember(m.Name, IndexWords.Word(m.Role))).ToList(),
        o.Teams?.Select(t => new Team(t.Name, t.Members)).ToList());

    public static AccessToken ToAccessToken(PersonalAccessToken t) => new(
        t.Id, t.Name, IndexWords.Words(t.Scopes), t.Prefix, Utc(t.CreatedAt), Utc(t.ExpiresAt), Utc(t.LastUsedAt), Utc(t.RevokedAt));

    public static AuditRecord ToRecord(AuditEntry e) => new(e.At, e.Actor, e.Action, e.Target, e.Address, e.Detail);

    public static Webhook ToWebhook(WebhookInfo w) =>
        new(w.Id, w.Url, w.Events, w.Enabled, w.Description, w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.FailingSince, w.DisabledReason, w.DisabledAt);

    public static CreatedWebhook ToCreatedWebhook(WebhookWithSecret created)
    {
        var w = created.Webhook;
        return new CreatedWebhook(
            w.Id, w.Url, w.Events, w.Enabled, w.Description, w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.FailingSince, w.DisabledReason, w.DisabledAt, created.Secret);
    }

    public static WebhookDeliverySummary ToDeliverySummary(WebhookDeliveryInfo d) =>
        new(d.Id, d.MessageId, d.EventType, Word(d.State), d.Attempts, d.CreatedAt, d.CompletedAt, d.NextAttemptAt, d.LastStatusCode, d.RedeliveryOf);

    /// <summary>A delivery just queued (a ping or a redelivery): no attempt yet.</summary>
    public static WebhookDeliverySummary ToDeliverySummary(WebhookDelivery d) =>
        new(d.Id, d.MessageId, d.EventType, Word(d.State), d.Attempts, Utc(d.CreatedAt), Utc(d.CompletedAt), Utc(d.NextAttemptAt), null, d.RedeliveryOf);

    public static WebhookDeliveryDetails ToDeliveryDetails(IndexDeliveryDetails details)
    {
        var d = details.Delivery;
        return new WebhookDeliveryDetails(
            d.Id, d.MessageId, d.EventType, Word(d.State), d.Attempts, d.CreatedAt, d.CompletedAt, d.NextAttemptAt, d.LastStatusCode, d.RedeliveryOf,
            details.Payload, details.Attempts.Select(a => new WebhookDeliveryAttempt(a.At, a.StatusCode, a.DurationMs, a.ResponseExcerpt, a.Error)).ToList());
    }

    public static string Word(WebhookDeliveryState state) => state switch
    {
        WebhookDeliveryState.Delivered => "delivered",
        WebhookDeliveryState.Failed => "failed",
        _ => "pending",
    };

    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
