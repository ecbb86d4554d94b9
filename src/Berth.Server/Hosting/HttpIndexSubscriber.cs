using System.Text.Json;
using Berth.Data.Events;
using Berth.Registry.Events;
using Berth.Server.Endpoints;

namespace Berth.Server.Hosting;

/// <summary>
/// A separate registry's outbox posted to its index in signed batches (<see cref="EventEnvelope"/>); the index applies
/// each event once by its id. Each envelope names this registry's <paramref name="publicUrl"/>, where the index
/// reaches it to delete a repository.
/// </summary>
internal sealed partial class HttpIndexSubscriber(HttpClient http, Uri endpoint, string publicUrl, string secret, TimeProvider time, ILogger<HttpIndexSubscriber> logger) : IOutboxSubscriber
{
    public string Name => "index-http";

    public async Task<Delivery> DeliverAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(EventEnvelope.From(events, publicUrl), EventJson.Default.Envelope);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        EventEnvelope.SetSignedContent(request, body, EventEnvelope.MediaType, secret, time.GetUtcNow());
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return Delivery.Delivered;
            }

            if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                // A batch the index cannot read will not get better by retrying; skipping it beats blocking every later event.
                LogDropped(logger, events[0].Id, events.Count);
                return Delivery.Delivered;
            }

            // 401 (secrets differ), 404 (not an index), 5xx, 429: retried with backoff until it is fixed.
            return Delivery.Failed($"the index answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Delivery.Failed($"the index is unreachable: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The index refused a batch of {Count} events from {FirstId} as malformed; skipped")]
    private static partial void LogDropped(ILogger logger, string firstId, int count);
}
