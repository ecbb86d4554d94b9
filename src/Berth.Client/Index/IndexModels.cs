using System.Text.Json.Serialization;

namespace Berth.Client.Index;

// The wire shapes of docs/API.md (/api/v1), as the index sends them (times in UTC). Unknown properties are ignored, so a newer
// server does not break an older client.

/// <summary>Who may see a repository: everyone, or only those granted access.</summary>
public enum RepositoryVisibility
{
    Private,
    Public,
}

/// <summary>A repository in a list or a search result.</summary>
public sealed record RepositorySummary(
    string Name,
    string Namespace,
    string Visibility,
    string? Description,
    long StarCount,
    long PullCount,
    DateTime? LastPushedAt);

/// <summary>One repository as <c>GET /api/v1/repositories/{name}</c> shows it to the caller.</summary>
public sealed record RepositoryInfo(
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
    IReadOnlyList<RepositoryTag> Tags);

/// <summary>A tag; <see cref="Size"/> counts the manifest, its config and layers (or its child manifests).</summary>
public sealed record RepositoryTag(string Name, string Digest, string MediaType, long Size, DateTime PushedAt);

/// <summary>A comment; <see cref="Html"/> is its Markdown rendered and sanitised by the index.</summary>
public sealed record RepositoryComment(long Id, string Author, string Body, string Html, DateTime CreatedAt, DateTime? UpdatedAt);

/// <summary>One page of <c>GET /api/v1/search</c>.</summary>
public sealed record SearchPage(string Query, int Page, int PageSize, int Total, IReadOnlyList<RepositorySummary> Results);

// Requests leave out what is not given: the API reads an absent property as "the default" or "unchanged".
internal sealed record CreateRepositoryRequest(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Visibility,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

internal sealed record UpdateRepositoryRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Visibility,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

/// <summary>An account as its owner (or an administrator) sees it.</summary>
public sealed record AccountInfo(string Name, string? Email, bool IsAdmin, DateTime CreatedAt);

internal sealed record CommentRequest(string Body);

internal sealed record CreateAccountRequest(
    string Name,
    string Password,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? IsAdmin);

/// <summary>RFC 9457 problem details, as every API error is sent.</summary>
internal sealed record ProblemDetails(string? Title, string? Detail, int? Status);

/// <summary>The event types a webhook may subscribe to, as the API names them, in its order (docs/API.md, "Webhooks").</summary>
public static class WebhookEvents
{
    public static IReadOnlyList<string> Subscribable { get; } =
        ["push", "tag.deleted", "manifest.deleted", "repository.created", "repository.deleted", "repository.visibility.changed", "star", "comment"];
}

/// <summary>A webhook as its admins see it; the secret is never shown here (see <see cref="CreatedWebhookInfo"/>).</summary>
public sealed record WebhookInfo(
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

/// <summary>The answer to a creation or a secret rotation: the webhook with its signing secret, shown only there.</summary>
public sealed record CreatedWebhookInfo(
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

/// <summary>One delivery of a webhook's log; <see cref="State"/> is pending, delivered or failed.</summary>
public sealed record WebhookDeliveryInfo(
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

internal sealed record CreateWebhookRequest(
    string Url,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Events,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Enabled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

internal sealed record UpdateWebhookRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Events,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Enabled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

/// <summary>A tag immutability rule: tags matching <see cref="Pattern"/> cannot be moved or deleted.</summary>
public sealed record TagRuleInfo(long Id, string Pattern, DateTime CreatedAt, string? CreatedBy);

/// <summary>A retention policy: of the tags matching <see cref="Pattern"/>, the last <see cref="KeepLast"/> pushed and those pushed within <see cref="KeepDays"/> days are kept.</summary>
public sealed record RetentionPolicyInfo(long Id, string Pattern, int? KeepLast, int? KeepDays, DateTime CreatedAt, string? CreatedBy);

internal sealed record CreateTagRuleRequest(string Pattern);

internal sealed record CreateRetentionPolicyRequest(
    string Pattern,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? KeepLast,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? KeepDays);
