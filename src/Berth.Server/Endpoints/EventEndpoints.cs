using System.Text.Json;
using Berth.Index.Events;

namespace Berth.Server.Endpoints;

/// <summary>The index's side of a split deployment: a registry reports pushes, deletes and pulls here.</summary>
internal static class EventEndpoints
{
    private const int MaxEnvelopeBytes = 4 * 1024 * 1024;

    public static void MapEventEndpoints(this IEndpointRouteBuilder app, string secret) =>
        app.MapPost("/api/v1/internal/events", (HttpContext context, RegistryEventReceiver receiver, TimeProvider time, CancellationToken ct) => ReceiveAsync(context, receiver, secret, time, ct))
            .ExcludeFromDescription();

    private static async Task<IResult> ReceiveAsync(HttpContext context, RegistryEventReceiver receiver, string secret, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, refusal) = await EventEnvelope.ReadSignedAsync(context.Request, secret, time.GetUtcNow(), MaxEnvelopeBytes, cancellationToken);
        if (body is null)
        {
            return refusal!;
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

        // Each event in its own transaction with its id: one that fails rolls back alone and the sender's retry of
        // the batch applies it then, while the ids already recorded make the rest of the retry (or a replay) a no-op.
        foreach (var (registryEvent, sourceUrl) in EventEnvelope.ToEvents(envelope ?? new([])))
        {
            if (Berth.Oci.RepositoryName.IsValid(registryEvent.Repository))
            {
                await receiver.ApplyOnceAsync(registryEvent, sourceUrl, cancellationToken);
            }
        }

        return Results.Accepted();
    }
}
