using System.Text.Json;
using Berth.Index.Events;
using Berth.Registry.Events;

namespace Berth.Server.Endpoints;

/// <summary>The index's side of a split deployment: a registry reports pushes, deletes and pulls here.</summary>
internal static class EventEndpoints
{
    public static void MapEventEndpoints(this IEndpointRouteBuilder app, string secret) =>
        app.MapPost("/api/v1/internal/events", (HttpContext context, IndexRecords records, CancellationToken ct) => ReceiveAsync(context, records, secret, ct))
            .ExcludeFromDescription();

    private static async Task<IResult> ReceiveAsync(HttpContext context, IndexRecords records, string secret, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength is null or > 4 * 1024 * 1024)
        {
            return Results.Problem("a signed event envelope of at most 4 MiB is expected", statusCode: StatusCodes.Status400BadRequest);
        }

        var body = new byte[context.Request.ContentLength.Value];
        await context.Request.Body.ReadExactlyAsync(body, cancellationToken);
        if (!EventEnvelope.Verify(body, context.Request.Headers[EventEnvelope.SignatureHeader], secret))
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
            if (!Berth.Oci.RepositoryName.IsValid(registryEvent.Repository))
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
        }

        return Results.Accepted();
    }
}
