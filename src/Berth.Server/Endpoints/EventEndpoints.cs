using System.Text.Json;
using Berth.Index.Events;
using Berth.Registry.Events;

namespace Berth.Server.Endpoints;

/// <summary>The index's side of a split deployment: a registry reports pushes, deletes and pulls here.</summary>
internal static class EventEndpoints
{
    public static void MapEventEndpoints(this IEndpointRouteBuilder app, string secret) =>
        app.MapPost("/api/v1/internal/events", (HttpContext context, IndexRecords records, TimeProvider time, CancellationToken ct) => ReceiveAsync(context, records, secret, time, ct))
            .ExcludeFromDescription();

    // Event ids applied within the signature's lifetime: a replay inside that window is recognised and skipped.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> Seen = new(StringComparer.Ordinal);

    private static async Task<IResult> ReceiveAsync(HttpContext context, IndexRecords records, string secret, TimeProvider time, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength is null or > 4 * 1024 * 1024)
        {
            return Results.Problem("a signed event envelope of at most 4 MiB is expected", statusCode: StatusCodes.Status400BadRequest);
        }

        var body = new byte[context.Request.ContentLength.Value];
        await context.Request.Body.ReadExactlyAsync(body, cancellationToken);
        var now = time.GetUtcNow();
        if (!EventEnvelope.Verify(body, context.Request.Headers[EventEnvelope.TimestampHeader], context.Request.Headers[EventEnvelope.SignatureHeader], secret, now))
        {
            return Results.Problem("the event signature is missing or wrong", statusCode: StatusCodes.Status401Unauthorized);
        }

        EventEnvelope.Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(body, EventJson.Default.Envelope);
        }
        catch (JsonException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        foreach (var registryEvent in EventEnvelope.ToEvents(envelope ?? new([])))
        {
            if (!Berth.Oci.RepositoryName.IsValid(registryEvent.Repository) || AlreadyApplied(registryEvent.Id, now))
            {
                continue;
            }

            if (registryEvent.Action == RegistryActions.Pull)
            {
                await records.AddPullsAsync(registryEvent.Repository, 1, cancellationToken);
            }
            else
            {
                await records.ApplyAsync(registryEvent, cancellationToken);
            }

            // Only once applied: a sender retrying after a failure here must not be taken for a replay.
            Seen[registryEvent.Id] = now;
        }

        return Results.Accepted();
    }

    private static bool AlreadyApplied(string id, DateTimeOffset now)
    {
        if (Seen.Count > 100_000)
        {
            foreach (var (key, at) in Seen)
            {
                if (now - at > 2 * EventEnvelope.MaxAge)
                {
                    Seen.TryRemove(key, out _);
                }
            }
        }

        return id.Length == 0 || Seen.ContainsKey(id);
    }
}
