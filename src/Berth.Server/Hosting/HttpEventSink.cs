using System.Text.Json;
using System.Threading.Channels;
using Berth.Registry.Events;
using Berth.Server.Endpoints;

namespace Berth.Server.Hosting;

/// <summary>
/// A separate registry's events, sent to its index: queued, posted in signed batches, and retried with
/// backoff while the index is unreachable, so a push never waits for (or fails with) the index. Each envelope names
/// this registry's <paramref name="publicUrl"/>, where the index reaches it to delete a repository.
/// </summary>
internal sealed partial class HttpEventSink(HttpClient http, Uri endpoint, string publicUrl, string secret, TimeProvider time, ILogger<HttpEventSink> logger) : BackgroundService, IRegistryEventSink
{
    private const int MaxBatch = 100;
    private readonly Channel<RegistryEvent> _queue = Channel.CreateUnbounded<RegistryEvent>(new UnboundedChannelOptions { SingleReader = true });

    public ValueTask PublishAsync(RegistryEvent registryEvent, CancellationToken cancellationToken) =>
        _queue.Writer.WriteAsync(registryEvent, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<RegistryEvent>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            var delay = TimeSpan.FromMilliseconds(200);
            while (!await TrySendAsync(batch, stoppingToken))
            {
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }

            batch.Clear();
        }
    }

    private async Task<bool> TrySendAsync(List<RegistryEvent> batch, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(EventEnvelope.From(batch, publicUrl), EventJson.Default.Envelope);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        EventEnvelope.SetSignedContent(request, body, EventEnvelope.MediaType, secret, time.GetUtcNow());
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            LogRejected(logger, (int)response.StatusCode);
            // A 4xx will not get better by retrying; dropping beats blocking every later event.
            return (int)response.StatusCode is >= 400 and < 500 and not 429;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The index rejected registry events with status {Status}")]
    private static partial void LogRejected(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The index is unreachable, will retry: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);
}
