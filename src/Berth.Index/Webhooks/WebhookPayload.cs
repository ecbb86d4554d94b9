using System.Text.Json.Serialization;

namespace Berth.Index.Webhooks;

/// <summary>
/// The JSON body of every delivery (docs/WEBHOOKS.md): the Standard Webhooks envelope (<c>type</c>, <c>timestamp</c>,
/// <c>data</c>), and on <c>push</c> also Docker Hub's top-level <c>push_data</c> and <c>repository</c>, so receivers
/// written for Docker Hub read it unchanged.
/// </summary>
public sealed record WebhookPayload(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp,
    [property: JsonPropertyName("data")] WebhookEventData Data)
{
    [JsonPropertyName("push_data")]
    public DockerHubPushData? PushData { get; init; }

    [JsonPropertyName("repository")]
    public DockerHubRepository? Repository { get; init; }
}

/// <summary>What happened; fields that do not apply to the event type are left out.</summary>
public sealed record WebhookEventData
{
    [JsonPropertyName("repository")]
    public WebhookRepository? Repository { get; init; }

    [JsonPropertyName("tag")]
    public string? Tag { get; init; }

    [JsonPropertyName("digest")]
    public string? Digest { get; init; }

    [JsonPropertyName("media_type")]
    public string? MediaType { get; init; }

    /// <summary>Manifest bytes plus what it references directly (config and layers, or child manifests).</summary>
    [JsonPropertyName("size")]
    public long? Size { get; init; }

    /// <summary>Who did it: the pusher, deleter, starrer, commenter, or the admin who changed or pinged.</summary>
    [JsonPropertyName("actor")]
    public string? Actor { get; init; }

    /// <summary>The pusher, as Docker Hub calls the actor of a push.</summary>
    [JsonPropertyName("pusher")]
    public string? Pusher { get; init; }

    [JsonPropertyName("time")]
    public DateTime Time { get; init; }

    [JsonPropertyName("pull_command")]
    public string? PullCommand { get; init; }

    /// <summary>On <c>repository.visibility.changed</c>: the visibility before.</summary>
    [JsonPropertyName("previous_visibility")]
    public string? PreviousVisibility { get; init; }

    [JsonPropertyName("comment")]
    public WebhookComment? Comment { get; init; }

    /// <summary>On <c>ping</c>: the webhook pinged.</summary>
    [JsonPropertyName("webhook_id")]
    public long? WebhookId { get; init; }
}

public sealed record WebhookRepository(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("visibility")] string Visibility,
    [property: JsonPropertyName("url")] string Url);

public sealed record WebhookComment(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("body")] string Body);

/// <summary>Docker Hub's <c>push_data</c> (its <c>callback_url</c> is left out: Berth has no validation callback).</summary>
public sealed record DockerHubPushData(
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("pushed_at")] long PushedAt,
    [property: JsonPropertyName("pusher")] string? Pusher);

/// <summary>Docker Hub's <c>repository</c>.</summary>
public sealed record DockerHubRepository(
    [property: JsonPropertyName("repo_name")] string RepoName,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("is_private")] bool IsPrivate,
    [property: JsonPropertyName("repo_url")] string RepoUrl,
    [property: JsonPropertyName("status")] string Status);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookPayload))]
public sealed partial class WebhookJson : JsonSerializerContext;
