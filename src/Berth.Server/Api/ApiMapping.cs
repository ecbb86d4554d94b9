using Berth.Data.Entities;
using Berth.Index;
using Berth.Index.Audit;
using Berth.Index.Organizations;
using Berth.Index.Repositories;
using Berth.Index.Social;

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
            d.CreatedAt, d.CommentCount, d.Starred, IndexWords.Word(d.Permission), ToTags(d.Tags));
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

    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
