using System.Text.Json.Serialization;
using Berth.Data.Events;

namespace Berth.Server.Notifications;

/// <summary>
/// CNCF Distribution's notification envelope (<c>notifications/event.go</c>), field for field, as consumers written
/// for Distribution's <c>notifications.endpoints</c> read it. What Berth's events do not carry is left out or empty,
/// as Distribution leaves it when unknown (docs/OPERATIONS.md, "Notifications", lists each difference).
/// </summary>
internal static class DistributionEnvelope
{
    /// <summary>Distribution 2.x's media type, which consumers check (Distribution 3 renamed it <c>…events.v2+json</c>, same fields).</summary>
    public const string MediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <param name="registryUrl">This registry's base URL (<c>--public-url</c>): the manifest URLs and <c>request.host</c> are built from it.</param>
    /// <param name="instanceId">Distribution's <c>source.instanceID</c>: the sending process, fresh at each start.</param>
    public static Envelope From(IEnumerable<RegistryEvent> events, string registryUrl, string instanceId)
    {
        var authority = new Uri(registryUrl).Authority;
        var source = new Source(authority, instanceId);
        return new(events.Select(e => From(e, registryUrl.TrimEnd('/'), authority, source)).ToList());
    }

    private static Event From(RegistryEvent e, string registryUrl, string authority, Source source)
    {
        // As Distribution's bridge: a push names the manifest (media type, digest, size = length, its URL by digest, the
        // tag it was pushed as); a tag delete names repository and tag only; a manifest delete repository and digest only.
        var target = e.Action switch
        {
            RegistryActions.Push => new Target(
                Blank(e.MediaType), e.Size, Blank(e.Digest), e.Size, e.Repository,
                e.Digest.Length == 0 ? null : $"{registryUrl}/v2/{e.Repository}/manifests/{e.Digest}", e.Tag),
            RegistryActions.Delete when e.Tag is not null => new Target(null, 0, null, 0, e.Repository, null, e.Tag),
            _ => new Target(null, 0, Blank(e.Digest), 0, e.Repository, null, null),
        };
        var method = e.Action switch
        {
            RegistryActions.Push => "PUT",
            RegistryActions.Delete => "DELETE",
            _ => "GET",
        };
        var timestamp = e.Timestamp.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc) : e.Timestamp.ToUniversalTime();
        return new Event(e.Id, timestamp, e.Action, target, new Request("", null, authority, method, ""), new Actor(Blank(e.Actor)), source);
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal sealed record Envelope([property: JsonPropertyName("events")] IReadOnlyList<Event> Events);

    internal sealed record Event(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("timestamp")] DateTime Timestamp,
        [property: JsonPropertyName("action")] string Action,
        [property: JsonPropertyName("target")] Target Target,
        [property: JsonPropertyName("request")] Request Request,
        [property: JsonPropertyName("actor")] Actor Actor,
        [property: JsonPropertyName("source")] Source Source);

    /// <summary>Go's <c>omitempty</c> on every field: empty strings and zero sizes are left out.</summary>
    internal sealed record Target(
        [property: JsonPropertyName("mediaType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MediaType,
        [property: JsonPropertyName("size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long Size,
        [property: JsonPropertyName("digest"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Digest,
        [property: JsonPropertyName("length"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long Length,
        [property: JsonPropertyName("repository")] string Repository,
        [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
        [property: JsonPropertyName("tag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tag);

    /// <summary>Distribution writes <c>id</c>, <c>method</c> and <c>useragent</c> always, <c>addr</c> and <c>host</c> when known.</summary>
    internal sealed record Request(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("addr"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Addr,
        [property: JsonPropertyName("host"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Host,
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("useragent")] string UserAgent);

    internal sealed record Actor([property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

    internal sealed record Source(
        [property: JsonPropertyName("addr"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Addr,
        [property: JsonPropertyName("instanceID"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? InstanceId);
}

[JsonSerializable(typeof(DistributionEnvelope.Envelope))]
internal sealed partial class DistributionEnvelopeJson : JsonSerializerContext;
