using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Security.Tests.Support;

/// <summary>
/// A consumer written for CNCF Distribution's <c>notifications.endpoints</c>: a Kestrel server on loopback taking
/// envelope POSTs on any path and parsing them with <see cref="DistributionEvent"/>, a minimal model of
/// Distribution's <c>notifications/event.go</c>. It can be stopped and started again on the same port.
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedEnvelope> _received = new();
    private WebApplication? _app;

    private NotificationReceiver(int port) => Port = port;

    public int Port { get; }

    public IReadOnlyList<ReceivedEnvelope> Received => [.. _received];

    /// <summary>The URL of <paramref name="path"/> on this receiver.</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>Every event that came to <paramref name="path"/>, in arrival order.</summary>
    public IReadOnlyList<DistributionEvent> Events(string path) =>
        [.. Received.Where(r => r.Path == "/" + path).SelectMany(r => r.Envelope.Events ?? [])];

    /// <summary>A receiver on a port nothing listens on yet; started unless <paramref name="start"/> is false (then it is down).</summary>
    public static async Task<NotificationReceiver> CreateAsync(bool start = true)
    {
        var receiver = new NotificationReceiver(RegistryServer.FreeLoopbackPort());
        if (start)
        {
            await receiver.StartAsync();
        }

        return receiver;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            var envelope = JsonSerializer.Deserialize<DistributionEnvelope>(body) ?? new DistributionEnvelope();
            _received.Enqueue(new ReceivedEnvelope(
                http.Request.Path.Value ?? "",
                http.Request.Method,
                http.Request.ContentType,
                http.Request.Headers.Authorization.ToString(),
                envelope,
                body));
            http.Response.StatusCode = StatusCodes.Status202Accepted;
        });
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Stops listening: the registry's next attempts find the port closed.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Polls (bounded) until <paramref name="done"/> holds for the events that came to <paramref name="path"/>. A failure
    /// quotes the end of <paramref name="sender"/>'s log: the server is gone with the test, and "got nothing" alone
    /// says neither whether it tried nor what it met.
    /// </summary>
    public async Task<IReadOnlyList<DistributionEvent>> WaitForAsync(string path, Func<IReadOnlyList<DistributionEvent>, bool> done, TimeSpan limit, RegistryServer? sender = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var events = Events(path);
            if (done(events))
            {
                return events;
            }

            await Task.Delay(50);
        }

        var log = sender is null ? "" : string.Join('\n', sender.ReadLog().Split('\n').TakeLast(80).Select(line => line.Length > 600 ? line[..600] + " …" : line));
        Assert.Fail($"/{path} did not receive the expected events within {limit.TotalSeconds} s; got: {string.Join(" | ", Received.Where(r => r.Path == "/" + path).Select(r => r.Body))}\nthe server's log ends:\n{log}");
        return [];
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>One POST as it arrived.</summary>
public sealed record ReceivedEnvelope(string Path, string Method, string? ContentType, string Authorization, DistributionEnvelope Envelope, string Body);

// Distribution's notifications/event.go, the JSON names a consumer written for it reads (case as there).

public sealed class DistributionEnvelope
{
    [JsonPropertyName("events")]
    public List<DistributionEvent>? Events { get; set; }
}

public sealed class DistributionEvent
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("timestamp")]
    public DateTimeOffset Timestamp { get; set; }

    [JsonPropertyName("action")]
    public string? Action { get; set; }

    [JsonPropertyName("target")]
    public DistributionTarget? Target { get; set; }

    [JsonPropertyName("request")]
    public DistributionRequest? Request { get; set; }

    [JsonPropertyName("actor")]
    public DistributionActor? Actor { get; set; }

    [JsonPropertyName("source")]
    public DistributionSource? Source { get; set; }
}

public sealed class DistributionTarget
{
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; set; }

    [JsonPropertyName("size")]
    public long Size { get; set; }

    [JsonPropertyName("digest")]
    public string? Digest { get; set; }

    [JsonPropertyName("length")]
    public long Length { get; set; }

    [JsonPropertyName("repository")]
    public string? Repository { get; set; }

    [JsonPropertyName("url")]
    public string? Url { get; set; }

    [JsonPropertyName("tag")]
    public string? Tag { get; set; }
}

public sealed class DistributionRequest
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("addr")]
    public string? Addr { get; set; }

    [JsonPropertyName("host")]
    public string? Host { get; set; }

    [JsonPropertyName("method")]
    public string? Method { get; set; }

    [JsonPropertyName("useragent")]
    public string? UserAgent { get; set; }
}

public sealed class DistributionActor
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

public sealed class DistributionSource
{
    [JsonPropertyName("addr")]
    public string? Addr { get; set; }

    [JsonPropertyName("instanceID")]
    public string? InstanceId { get; set; }
}
