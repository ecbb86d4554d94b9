using System.Text.Json;
using Berth.Data.Events;
using Berth.Registry.Events;

namespace Berth.Server.Notifications;

/// <summary>
/// One notification endpoint as one more consumer of the outbox, with its own cursor (<c>notify:NAME</c>): batches
/// in feed order, at least once (an event keeps its id when sent again), retried with the outbox's backoff until the
/// endpoint accepts them, across restarts and kills. As Distribution's <c>httpSink</c>: a POST of the envelope, any
/// 2xx or 3xx (after redirects) is delivered, anything else is retried, a 4xx too (Distribution retries forever).
/// Pull events are not sent (Berth counts pulls per repository and interval, without a manifest to name).
/// </summary>
internal sealed class NotificationSubscriber(
    NotificationEndpoint endpoint,
    HttpClient http,
    string registryUrl,
    string instanceId) : IOutboxSubscriber
{
    public string Name => endpoint.Subscriber;

    public async Task<Delivery> DeliverAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var envelope = DistributionEnvelope.From(events.Where(e => e.Action != RegistryActions.Pull), registryUrl, instanceId);
        var sent = envelope.Events
            .Where(e => !endpoint.IgnoredActions.Contains(e.Action) && (e.Target.MediaType is null || !endpoint.IgnoredMediaTypes.Contains(e.Target.MediaType)))
            .ToList();
        if (sent.Count == 0)
        {
            return Delivery.Delivered; // all filtered out: nothing to send, the cursor moves on
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(envelope with { Events = sent }, DistributionEnvelopeJson.Default.Envelope);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new(DistributionEnvelope.MediaType);
        foreach (var (name, value) in endpoint.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(endpoint.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 400)
            {
                return Delivery.Delivered;
            }

            // The endpoint's name, never its URL or headers (they may hold credentials), goes to the log and the cursor.
            return Delivery.Failed($"notification endpoint {endpoint.Name} answered {status} to {sent.Count} events from {sent[0].Id}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is OperationCanceledException ? $"no answer within {endpoint.Timeout.TotalSeconds} s" : e.Message;
            return Delivery.Failed($"notification endpoint {endpoint.Name} is unreachable: {reason}");
        }
    }
}
