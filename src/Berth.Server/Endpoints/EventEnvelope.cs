using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Berth.Registry.Events;

namespace Berth.Server.Endpoints;

/// <summary>
/// Registry → index notifications in Distribution's envelope
/// (<c>application/vnd.docker.distribution.events.v2+json</c>), signed with a shared secret.
/// </summary>
internal static class EventEnvelope
{
    public const string MediaType = "application/vnd.docker.distribution.events.v2+json";
    public const string SignatureHeader = "X-Berth-Signature";
    public const string TimestampHeader = "X-Berth-Timestamp";

    /// <summary>How old a signed envelope may be; older ones are replays (the sender signs each attempt afresh).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    public static Envelope From(IEnumerable<RegistryEvent> events) => new(events.Select(e => new EventDto(
        e.Id,
        e.Timestamp,
        e.Action,
        new TargetDto(e.MediaType, e.Digest, e.Size, e.Size, e.Repository, e.Tag, e.ImageSize),
        new ActorDto(e.Actor))).ToList());

    public static IEnumerable<RegistryEvent> ToEvents(Envelope envelope) => envelope.Events
        .Where(e => e.Target is not null)
        .Select(e => new RegistryEvent(e.Id ?? "", e.Action ?? "", e.Target!.Repository ?? "", e.Target.Tag, e.Target.Digest ?? "",
            e.Target.MediaType ?? "", e.Target.Size, e.Target.ImageSize, e.Actor?.Name, e.Timestamp));

    /// <summary><c>sha256=</c> HMAC of <c>timestamp.body</c>, so a captured envelope cannot be replayed later.</summary>
    public static string Sign(long timestamp, ReadOnlySpan<byte> body, string secret)
    {
        var prefix = Encoding.ASCII.GetBytes($"{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    public static bool Verify(ReadOnlySpan<byte> body, string? timestamp, string? signature, string secret, DateTimeOffset now)
    {
        if (signature is null || !long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        return age.Duration() <= MaxAge &&
            CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(seconds, body, secret)), Encoding.ASCII.GetBytes(signature));
    }

    internal sealed record Envelope([property: JsonPropertyName("events")] IReadOnlyList<EventDto> Events);

    internal sealed record EventDto(
        [property: JsonPropertyName("id")] string? Id,
        [property: JsonPropertyName("timestamp")] DateTime Timestamp,
        [property: JsonPropertyName("action")] string? Action,
        [property: JsonPropertyName("target")] TargetDto? Target,
        [property: JsonPropertyName("actor")] ActorDto? Actor);

    internal sealed record TargetDto(
        [property: JsonPropertyName("mediaType")] string? MediaType,
        [property: JsonPropertyName("digest")] string? Digest,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("repository")] string? Repository,
        [property: JsonPropertyName("tag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tag,
        [property: JsonPropertyName("berthImageSize")] long ImageSize);

    internal sealed record ActorDto([property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);
}

[JsonSerializable(typeof(EventEnvelope.Envelope))]
internal sealed partial class EventJson : JsonSerializerContext;
