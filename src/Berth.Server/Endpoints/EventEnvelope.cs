using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Berth.Data.Events;
using Berth.Index.Events;

namespace Berth.Server.Endpoints;

/// <summary>
/// Registry → index notifications in Distribution's envelope
/// (<c>application/vnd.docker.distribution.events.v2+json</c>; Berth adds <c>berthCount</c> to an event that stands
/// for several, the pulls of a repository in one interval, <c>target.berthImageSize</c> and <c>target.berthPlatforms</c>), signed with a shared secret; the same signature
/// protects the index → registry repository deletions (<see cref="RepositoryDeletionRequest"/>).
/// </summary>
internal static class EventEnvelope
{
    public const string MediaType = "application/vnd.docker.distribution.events.v2+json";
    public const string SignatureHeader = "X-Berth-Signature";
    public const string TimestampHeader = "X-Berth-Timestamp";

    /// <summary>How old a signed envelope may be; older ones are replays (the sender signs each attempt afresh).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>How far in the future a signature's timestamp may be: clock skew between hosts, no more.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a receiver must remember the ids it applied: longer than any signature it accepts stays valid
    /// (<see cref="MaxAge"/> + <see cref="MaxFutureSkew"/>), so a verbatim replay always finds its id.
    /// </summary>
    public static TimeSpan ReceivedIdRetention => 2 * MaxAge;

    /// <param name="sourceUrl">The sending registry's base URL, where the index reaches it to delete repositories.</param>
    public static Envelope From(IEnumerable<RegistryEvent> events, string sourceUrl)
    {
        var source = new SourceDto(new Uri(sourceUrl).Authority, sourceUrl);
        return new(events.Select(e => new EventDto(
            e.Id,
            e.Timestamp,
            e.Action,
            new TargetDto(e.MediaType, e.Digest, e.Size, e.Size, e.Repository, e.Tag, e.ImageSize, e.Platforms),
            new ActorDto(e.Actor),
            source,
            e.Count == 1 ? null : e.Count)).ToList());
    }

    /// <summary>The events, each with its sender's base URL (null when absent or not a usable http(s) URL).</summary>
    public static IEnumerable<(RegistryEvent Event, string? SourceUrl)> ToEvents(Envelope envelope) => envelope.Events
        .Where(e => e.Target is not null)
        .Select(e => (new RegistryEvent(e.Id ?? "", e.Action ?? "", e.Target!.Repository ?? "", e.Target.Tag, e.Target.Digest ?? "",
            e.Target.MediaType ?? "", e.Target.Size, e.Target.ImageSize, e.Actor?.Name, Utc(e.Timestamp), Math.Max(1, e.Count ?? 1), Platforms(e.Target.Platforms)), RegistryUrls.Normalize(e.Source?.Url)));

    /// <summary>A sender's platform list, kept only if it fits the index's column (it comes from outside, signed or not).</summary>
    private static string? Platforms(string? platforms) =>
        platforms is { Length: <= Berth.Data.Entities.TagSummary.MaxPlatformsLength } ? platforms : null;

    /// <summary>
    /// Times are stored as UTC (PostgreSQL's <c>timestamp with time zone</c> takes nothing else): a timestamp with an
    /// offset is converted, one without is read as UTC.
    /// </summary>
    private static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => value,
    };

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
        return age <= MaxAge && age >= -MaxFutureSkew &&
            CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(seconds, body, secret)), Encoding.ASCII.GetBytes(signature));
    }

    /// <summary>Puts <paramref name="body"/> on <paramref name="request"/>, signed now: each attempt gets a fresh signature.</summary>
    public static void SetSignedContent(HttpRequestMessage request, byte[] body, string mediaType, string secret, DateTimeOffset now)
    {
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new(mediaType);
        var timestamp = now.ToUnixTimeSeconds();
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(timestamp, body, secret));
    }

    /// <summary>
    /// The body of a signed request, or the answer to give: 400 without a length or above <paramref name="maxBytes"/>
    /// (checked before reading), 401 when the signature is missing, wrong or outside its time window.
    /// </summary>
    public static async Task<(byte[]? Body, IResult? Refusal)> ReadSignedAsync(HttpRequest request, string secret, DateTimeOffset now, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is not { } length || length > maxBytes)
        {
            return (null, Results.Problem($"a signed body of at most {maxBytes} bytes is expected", statusCode: StatusCodes.Status400BadRequest));
        }

        var body = new byte[length];
        await request.Body.ReadExactlyAsync(body, cancellationToken);
        return Verify(body, request.Headers[TimestampHeader], request.Headers[SignatureHeader], secret, now)
            ? (body, null)
            : (null, Results.Problem("the signature is missing or wrong", statusCode: StatusCodes.Status401Unauthorized));
    }

    internal sealed record Envelope([property: JsonPropertyName("events")] IReadOnlyList<EventDto> Events);

    internal sealed record EventDto(
        [property: JsonPropertyName("id")] string? Id,
        [property: JsonPropertyName("timestamp")] DateTime Timestamp,
        [property: JsonPropertyName("action")] string? Action,
        [property: JsonPropertyName("target")] TargetDto? Target,
        [property: JsonPropertyName("actor")] ActorDto? Actor,
        [property: JsonPropertyName("source"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SourceDto? Source = null,
        [property: JsonPropertyName("berthCount"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Count = null);

    internal sealed record TargetDto(
        [property: JsonPropertyName("mediaType")] string? MediaType,
        [property: JsonPropertyName("digest")] string? Digest,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("length")] long Length,
        [property: JsonPropertyName("repository")] string? Repository,
        [property: JsonPropertyName("tag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tag,
        [property: JsonPropertyName("berthImageSize")] long ImageSize,
        [property: JsonPropertyName("berthPlatforms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Platforms = null);

    internal sealed record ActorDto([property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

    /// <summary>Distribution's <c>source.addr</c> (host:port of the registry node), plus Berth's <c>url</c>: its base URL.</summary>
    internal sealed record SourceDto(
        [property: JsonPropertyName("addr")] string? Addr,
        [property: JsonPropertyName("url")] string? Url);

    /// <summary>Index → registry: delete <paramref name="Repository"/>. <paramref name="Id"/> is fresh per attempt, so only a verbatim replay repeats it.</summary>
    internal sealed record RepositoryDeletionRequest(
        [property: JsonPropertyName("id")] string? Id,
        [property: JsonPropertyName("repository")] string? Repository);
}

[JsonSerializable(typeof(EventEnvelope.Envelope))]
[JsonSerializable(typeof(EventEnvelope.RepositoryDeletionRequest))]
internal sealed partial class EventJson : JsonSerializerContext;
