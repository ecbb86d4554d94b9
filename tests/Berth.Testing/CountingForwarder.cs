using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Testing;

/// <summary>One request a <see cref="CountingForwarder"/> received, with the status the upstream answered (0: none).</summary>
public sealed record ForwardedRequest(string Method, string Path, string Query, int Status);

/// <summary>How a <see cref="CountingForwarder"/> treats the requests it receives.</summary>
public enum UpstreamMode
{
    /// <summary>Forwards them.</summary>
    Forward,

    /// <summary>Answers 429 with <see cref="CountingForwarder.RetryAfterSeconds"/>.</summary>
    TooManyRequests,

    /// <summary>Drops every connection, as an upstream that is gone.</summary>
    Down,

    /// <summary>Forwards, but flips one byte of every blob body: content that does not match its digest.</summary>
    CorruptBlobs,
}

/// <summary>
/// A transparent loopback HTTP forwarder (Kestrel) in front of a registry that records every request, so a test can
/// count what reached the upstream (e.g. GETs per blob path behind a mirror). Headers and bodies pass both ways
/// unchanged and streamed; only the hop-by-hop headers are dropped. A test can make it fail as upstreams do
/// (<see cref="Mode"/>) and slow blob bodies down (<see cref="BlobChunkDelay"/>), so that concurrent clients really
/// overlap one fetch and a client can leave in the middle of one.
/// </summary>
public sealed class CountingForwarder : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly ConcurrentQueue<ForwardedRequest> _requests = new();
    private readonly HttpClient _upstream;
    private WebApplication? _app;

    private CountingForwarder(Uri upstream) =>
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = upstream,
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>"127.0.0.1:PORT".</summary>
    public string HostPort { get; private set; } = "";

    public Uri BaseUri => new($"http://{HostPort}/");

    /// <summary>"http://127.0.0.1:PORT", as a mirror's upstream URL is given.</summary>
    public string Url => $"http://{HostPort}";

    public volatile UpstreamMode Mode;

    /// <summary>The <c>Retry-After</c> of <see cref="UpstreamMode.TooManyRequests"/> answers.</summary>
    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Blob GET bodies are sent in 64 KiB pieces with this pause between them (zero: at full speed).</summary>
    public TimeSpan BlobChunkDelay { get; set; }

    /// <summary>Requests so far with <paramref name="method"/> whose path ends with <paramref name="pathEnd"/>.</summary>
    public int Count(string method, string pathEnd) =>
        _requests.Count(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal));

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<ForwardedRequest> Requests => [.. _requests];

    /// <summary>GETs per path (query left out) so far.</summary>
    public IReadOnlyDictionary<string, int> GetsByPath() =>
        _requests.Where(r => r.Method == "GET").GroupBy(r => r.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>GETs of blobs (<c>/v2/…/blobs/sha256:…</c>) per digest so far.</summary>
    public IReadOnlyDictionary<string, int> BlobGetsByDigest() =>
        _requests.Where(r => r.Method == "GET" && r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal))
            .GroupBy(r => r.Path[(r.Path.LastIndexOf('/') + 1)..], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Forgets what was recorded (between phases of a test).</summary>
    public void Clear() => _requests.Clear();

    public static async Task<CountingForwarder> StartAsync(Uri upstream, CancellationToken cancellationToken = default)
    {
        var forwarder = new CountingForwarder(upstream);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(forwarder.ForwardAsync);
        await app.StartAsync(cancellationToken);
        forwarder._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        forwarder.HostPort = new Uri(address).Authority;
        return forwarder;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        switch (Mode)
        {
            case UpstreamMode.Down:
                Record(request, 0);
                context.Abort();
                return;
            case UpstreamMode.TooManyRequests:
                Record(request, 429);
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsync("""{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
                return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            forward.Content = new StreamContent(request.Body, 64 * 1024);
        }
        else if (request.Method is "PUT" or "POST" or "PATCH")
        {
            forward.Content = new ByteArrayContent([]);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            Record(request, 0);
            context.Abort();
            return;
        }

        using (response)
        {
            Record(request, (int)response.StatusCode);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (request.Method == "HEAD")
            {
                return;
            }

            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                var blob = request.Method == "GET" && request.Path.Value?.Contains("/blobs/sha256:", StringComparison.Ordinal) == true;
                if (blob && (Mode == UpstreamMode.CorruptBlobs || BlobChunkDelay > TimeSpan.Zero))
                {
                    await CopyAlteredAsync(body, context, corrupt: Mode == UpstreamMode.CorruptBlobs, BlobChunkDelay);
                }
                else
                {
                    await body.CopyToAsync(context.Response.Body, 64 * 1024, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // Either side went away mid-body: so does the other, as on a real network path.
                context.Abort();
            }
        }
    }

    /// <summary>Copies a blob body in 64 KiB pieces, its first byte flipped when <paramref name="corrupt"/>, pausing between pieces.</summary>
    private static async Task CopyAlteredAsync(Stream body, HttpContext context, bool corrupt, TimeSpan delay)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (corrupt)
            {
                buffer[0] ^= 0xff;
                corrupt = false;
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            if (delay > TimeSpan.Zero)
            {
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(delay, context.RequestAborted);
            }
        }
    }

    private void Record(HttpRequest request, int status) =>
        _requests.Enqueue(new ForwardedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? "", status));
}
