using System.Text.Json.Serialization;

namespace Berth.Server.Api;

// The wire shapes of docs/API.md. Enumerations travel as the lower-case words the document uses.

internal sealed record Account(string Name, string? Email, bool IsAdmin, DateTime CreatedAt);

internal sealed record PublicAccount(string Name, DateTime CreatedAt);

internal sealed record CreateUserRequest(string Name, string Password, string? Email = null, bool? IsAdmin = null);

internal sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword);

internal sealed record CreateTokenRequest(string Name, IReadOnlyList<string> Scopes, DateTime? ExpiresAt = null);

/// <summary>A personal access token (<c>kind</c> "pat") or a refresh token (<c>kind</c> "refresh", negative id, with its <c>clientId</c>).</summary>
internal sealed record AccessToken(
    long Id,
    string Name,
    IReadOnlyList<string> Scopes,
    string Prefix,
    DateTime CreatedAt,
    DateTime? ExpiresAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    string Kind = AccessToken.PersonalKind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId = null)
{
    public const string PersonalKind = "pat";
    public const string RefreshKind = "refresh";
}

/// <summary>The one response that carries a token's secret.</summary>
internal sealed record CreatedAccessToken(
    long Id, string Name, IReadOnlyList<string> Scopes, string Prefix, DateTime CreatedAt, DateTime? ExpiresAt, string Token);

internal sealed record CreateOrganizationRequest(string Name, string? Description = null, bool? MembersCanCreateRepositories = null);

internal sealed record Organization(
    string Name,
    string? Description,
    bool MembersCanCreateRepositories,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<OrganizationMember>? Members,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Team>? Teams);

internal sealed record OrganizationMember(string Name, string Role);

internal sealed record Team(string Name, IReadOnlyList<string> Members);

internal sealed record SetMemberRequest(string Role);

internal sealed record CreateTeamRequest(string Name);

internal sealed record RepositorySummary(
    string Name, string Namespace, string Visibility, string? Description, long StarCount, long PullCount, DateTime? LastPushedAt);

internal sealed record Repository(
    string Name,
    string Namespace,
    string Visibility,
    string? Description,
    long StarCount,
    long PullCount,
    DateTime? LastPushedAt,
    DateTime CreatedAt,
    long CommentCount,
    bool Starred,
    string Permission,
    IReadOnlyList<Tag> Tags,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MirrorSource);

internal sealed record Tag(string Name, string Digest, string MediaType, long Size, DateTime PushedAt);

internal sealed record CreateRepositoryRequest(string Name, string? Visibility = null, string? Description = null);

internal sealed record UpdateRepositoryRequest(string? Visibility = null, string? Description = null);

internal sealed record Collaborator(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Team,
    string Level);

internal sealed record SetLevelRequest(string Level);

internal sealed record CommentRequest(string Body);

internal sealed record Comment(long Id, string Author, string Body, string Html, DateTime CreatedAt, DateTime? UpdatedAt);

internal sealed record SearchPage(string Query, int Page, int PageSize, int Total, IReadOnlyList<RepositorySummary> Results);

internal sealed record AuditRecord(DateTime At, string? Actor, string Action, string? Target, string? Address, string? Detail);

/// <summary>What <c>docker search</c> reads (Docker's <c>registry.SearchResults</c>).</summary>
internal sealed record DockerSearchResults(
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("num_results")] int NumResults,
    [property: JsonPropertyName("num_pages")] int NumPages,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize,
    [property: JsonPropertyName("results")] IReadOnlyList<DockerSearchResult> Results);

internal sealed record DockerSearchResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("star_count")] long StarCount,
    [property: JsonPropertyName("is_official")] bool IsOfficial,
    [property: JsonPropertyName("is_automated")] bool IsAutomated);

internal sealed record DockerPing([property: JsonPropertyName("standalone")] bool Standalone);

/// <summary><c>events</c> absent subscribes to every subscribable event type; <c>enabled</c> absent is true.</summary>
internal sealed record CreateWebhookRequest(string Url, IReadOnlyList<string>? Events = null, bool? Enabled = null, string? Description = null);

/// <summary>Absent fields stay as they are; an empty <c>description</c> clears it.</summary>
internal sealed record UpdateWebhookRequest(string? Url = null, IReadOnlyList<string>? Events = null, bool? Enabled = null, string? Description = null);

/// <summary>A webhook without its secret. <c>disabledReason</c> says why Berth disabled it after failing since <c>failingSince</c>.</summary>
internal sealed record Webhook(
    long Id,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? Description,
    DateTime CreatedAt,
    string? CreatedBy,
    DateTime UpdatedAt,
    DateTime? FailingSince,
    string? DisabledReason,
    DateTime? DisabledAt);

/// <summary>The two answers that carry the signing secret: creation (201) and rotate-secret.</summary>
internal sealed record CreatedWebhook(
    long Id,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? Description,
    DateTime CreatedAt,
    string? CreatedBy,
    DateTime UpdatedAt,
    DateTime? FailingSince,
    string? DisabledReason,
    DateTime? DisabledAt,
    string Secret);

/// <summary>One delivery in a webhook's log. <c>state</c>: pending, delivered or failed.</summary>
internal sealed record WebhookDeliverySummary(
    long Id,
    string MessageId,
    string EventType,
    string State,
    int Attempts,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    DateTime? NextAttemptAt,
    int? LastStatusCode,
    long? RedeliveryOf);

/// <summary>One HTTP attempt: <c>statusCode</c> null when no answer came (<c>error</c> says why).</summary>
internal sealed record WebhookDeliveryAttempt(DateTime At, int? StatusCode, int DurationMs, string? ResponseExcerpt, string? Error);

/// <summary>A delivery with its body exactly as signed and sent, and every attempt, oldest first.</summary>
internal sealed record WebhookDeliveryDetails(
    long Id,
    string MessageId,
    string EventType,
    string State,
    int Attempts,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    DateTime? NextAttemptAt,
    int? LastStatusCode,
    long? RedeliveryOf,
    string Payload,
    IReadOnlyList<WebhookDeliveryAttempt> AttemptLog);

/// <summary>A tag immutability rule: tags matching <c>pattern</c> (<c>*</c> any run of characters, <c>?</c> one) cannot be moved or deleted.</summary>
internal sealed record CreateTagRuleRequest(string? Pattern);

/// <summary>A retention policy: of the tags matching <c>pattern</c>, keep the <c>keepLast</c> most recently pushed and those pushed within <c>keepDays</c> days (at least one of the two).</summary>
internal sealed record CreateRetentionPolicyRequest(string? Pattern, int? KeepLast = null, int? KeepDays = null);
