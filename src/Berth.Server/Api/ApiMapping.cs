using Berth.Data.Entities;
using Berth.Index.Audit;
using Berth.Index.Organizations;
using Berth.Index.Repositories;
using Berth.Index.Social;

namespace Berth.Server.Api;

/// <summary>Index views to wire shapes, and the words of the API to the index's enumerations.</summary>
internal static class ApiMapping
{
    public static string Word(Visibility visibility) => visibility == Visibility.Public ? "public" : "private";

    public static string Word(AccessLevel level) => level switch
    {
        AccessLevel.Admin => "admin",
        AccessLevel.Write => "write",
        AccessLevel.Read => "read",
        _ => "none",
    };

    public static string Word(OrganizationRole role) => role == OrganizationRole.Owner ? "owner" : "member";

    public static IReadOnlyList<string> Words(TokenScopes scopes) =>
        [.. new[] { TokenScopes.Read, TokenScopes.Write, TokenScopes.Delete, TokenScopes.Admin }.Where(s => scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant())];

    public static bool TryParseVisibility(string word, out Visibility visibility)
    {
        (var ok, visibility) = word switch
        {
            "public" => (true, Visibility.Public),
            "private" => (true, Visibility.Private),
            _ => (false, Visibility.Private),
        };
        return ok;
    }

    public static bool TryParseLevel(string word, out AccessLevel level)
    {
        level = word switch
        {
            "read" => AccessLevel.Read,
            "write" => AccessLevel.Write,
            "admin" => AccessLevel.Admin,
            _ => AccessLevel.None,
        };
        return level != AccessLevel.None;
    }

    public static bool TryParseRole(string word, out OrganizationRole role)
    {
        (var ok, role) = word switch
        {
            "owner" => (true, OrganizationRole.Owner),
            "member" => (true, OrganizationRole.Member),
            _ => (false, OrganizationRole.Member),
        };
        return ok;
    }

    public static bool TryParseScopes(IEnumerable<string> words, out TokenScopes scopes)
    {
        scopes = TokenScopes.None;
        foreach (var word in words)
        {
            var scope = word switch
            {
                "read" => TokenScopes.Read,
                "write" => TokenScopes.Write,
                "delete" => TokenScopes.Delete,
                "admin" => TokenScopes.Admin,
                _ => TokenScopes.None,
            };
            if (scope == TokenScopes.None)
            {
                return false;
            }

            scopes |= scope;
        }

        return scopes != TokenScopes.None;
    }

    public static RepositorySummary ToSummary(RepositoryInfo r) =>
        new(r.Name, r.Namespace, Word(r.Visibility), r.Description, r.StarCount, r.PullCount, r.LastPushedAt);

    public static List<RepositorySummary> ToSummaries(IEnumerable<RepositoryInfo> repositories) => [.. repositories.Select(ToSummary)];

    public static Repository ToRepository(RepositoryDetails d)
    {
        var r = d.Summary;
        return new Repository(r.Name, r.Namespace, Word(r.Visibility), r.Description, r.StarCount, r.PullCount, r.LastPushedAt,
            d.CreatedAt, d.CommentCount, d.Starred, Word(d.Permission), ToTags(d.Tags));
    }

    public static List<Tag> ToTags(IEnumerable<TagInfo> tags) => [.. tags.Select(t => new Tag(t.Name, t.Digest, t.MediaType, t.Size, t.PushedAt))];

    public static Comment ToComment(CommentInfo c) => new(c.Id, c.Author, c.Body, c.Html, c.CreatedAt, c.UpdatedAt);

    public static Organization ToOrganization(OrganizationInfo o) => new(
        o.Name,
        o.Description,
        o.MembersCanCreateRepositories,
        o.Members?.Select(m => new OrganizationMember(m.Name, Word(m.Role))).ToList(),
        o.Teams?.Select(t => new Team(t.Name, t.Members)).ToList());

    public static AccessToken ToAccessToken(PersonalAccessToken t) => new(
        t.Id, t.Name, Words(t.Scopes), t.Prefix, Utc(t.CreatedAt), Utc(t.ExpiresAt), Utc(t.LastUsedAt), Utc(t.RevokedAt));

    public static AuditRecord ToRecord(AuditEntry e) => new(e.At, e.Actor, e.Action, e.Target, e.Address, e.Detail);

    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
