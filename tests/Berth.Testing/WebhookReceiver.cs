using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Testing;

/// <summary>One request a <see cref="WebhookReceiver"/> got, in arrival order.</summary>
public sealed record ReceivedWebhook(int Sequence, string Path, string? Id, string? Timestamp, string? Signature, string? ContentType, string? UserAgent, string Body);

/// <summary>
/// A real HTTP receiver on 127.0.0.1 (Kestrel) for webhook deliveries: records every request, can answer with a chosen
/// status (or a redirect), be slow, and counts requests in flight per path. It can be stopped and started again on the
/// same port, to play a receiver that is down.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private readonly ConcurrentDictionary<string, int> _maxInFlight = new();
    private readonly ConcurrentDictionary<string, (int Status, string? Location)> _answers = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();
    private WebApplication? _app;
    private int _sequence;

    private WebhookReceiver(int port) => Port = port;

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Answers requests to <paramref name="path"/> with <paramref name="status"/> (default 200), a 3xx with <paramref name="location"/>.</summary>
    public void Answer(string path, int status, string? location = null) => _answers[path] = (status, location);

    /// <summary>Makes answers to <paramref name="path"/> take this long, so overlapping requests would show in <see cref="MaxInFlight"/>.</summary>
    public void SlowDown(string path, TimeSpan delay) => _delays[path] = delay;

    /// <summary>Polls until <paramref name="done"/> holds for what arrived, failing after <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> done, TimeSpan limit, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var received = Received;
            if (done(received))
            {
                return received;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"the receiver did not get {what} within {limit.TotalSeconds} s; it got {received.Count}: "
                    + string.Join("; ", received.Select(r => $"{r.Path} {r.Id} {r.Body}")));
            }

            await Task.Delay(50);
        }
    }

    public IReadOnlyList<ReceivedWebhook> Received => _received.OrderBy(r => r.Sequence).ToList();

    public IReadOnlyList<ReceivedWebhook> At(string path) => Received.Where(r => r.Path == path).ToList();

    /// <summary>The most requests ever in flight at once for <paramref name="path"/>.</summary>
    public int MaxInFlight(string path) => _maxInFlight.GetValueOrDefault(path);

    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        var receiver = new WebhookReceiver(port ?? RegistryServer.FreeLoopbackPort());
        await receiver.StartAsync();
        return receiver;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
    }

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
    /// Standard Webhooks verification as docs/WEBHOOKS.md describes it (written here from the documentation, not
    /// Berth's code): HMAC-SHA256 keyed with the base64-decoded secret after <c>whsec_</c>, over
    /// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, base64, compared with each <c>v1,</c> signature in the header.
    /// </summary>
    public static bool Verify(string secret, string? id, string? timestamp, string? signatureHeader, string body)
    {
        if (id is null || timestamp is null || signatureHeader is null)
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s.StartsWith("v1,", StringComparison.Ordinal))
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        var now = _inFlight.AddOrUpdate(path, 1, (_, n) => n + 1);
        _maxInFlight.AddOrUpdate(path, now, (_, max) => Math.Max(max, now));
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            if (_delays.TryGetValue(path, out var delay))
            {
                await Task.Delay(delay, http.RequestAborted);
            }

            var headers = http.Request.Headers;
            _received.Enqueue(new ReceivedWebhook(
                Interlocked.Increment(ref _sequence),
                path,
                headers["webhook-id"].FirstOrDefault(),
                headers["webhook-timestamp"].FirstOrDefault(),
                headers["webhook-signature"].FirstOrDefault(),
                headers.ContentType.FirstOrDefault(),
                headers.UserAgent.FirstOrDefault(),
                body));
            var (status, location) = _answers.GetValueOrDefault(path, (200, null));
            http.Response.StatusCode = status;
            if (location is not null)
            {
                http.Response.Headers.Location = location;
            }

            await http.Response.WriteAsync(status is >= 200 and < 300 ? "ok" : $"answered {status}", http.RequestAborted);
        }
        finally
        {
            _inFlight.AddOrUpdate(path, 0, (_, n) => n - 1);
        }
    }
}
