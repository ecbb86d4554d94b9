using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror.Tests.Support;

/// <summary>How the proxy treats requests.</summary>
public enum UpstreamMode
{
    /// <summary>Forwards to the origin.</summary>
    Forward,

    /// <summary>Answers 429 with <see cref="UpstreamProxy.RetryAfterSeconds"/>.</summary>
    TooManyRequests,

    /// <summary>Drops every connection, as an origin that is gone.</summary>
    Down,

    /// <summary>Forwards, but flips one byte of every blob body: content that does not match its digest.</summary>
    CorruptBlobs,
}

/// <summary>
/// A loopback reverse proxy in front of an origin registry, standing in as the mirror's upstream: counts every request
/// it receives (method and path) and can answer 429 or drop connections. Blob bodies can be slowed down, so that
/// concurrent clients really overlap one fetch and a client can leave in the middle of one.
/// </summary>
public sealed class UpstreamProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Uri _origin;

    private UpstreamProxy(WebApplication app, Uri origin, int port)
    {
        _app = app;
        _origin = origin;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public volatile UpstreamMode Mode;

    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Blob bodies are sent in 64 KiB pieces with this pause between them (zero: at full speed).</summary>
    public TimeSpan BlobChunkDelay { get; set; }

    /// <summary>Every request so far as <c>METHOD /path</c>.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public int Count(string method, string pathEnd) =>
        _requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal) && r.EndsWith(pathEnd, StringComparison.Ordinal));

    public static async Task<UpstreamProxy> StartAsync(Uri origin)
    {
        var port = RegistryServer.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var proxy = new UpstreamProxy(app, origin, port);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        _requests.Enqueue($"{context.Request.Method} {path}");
        switch (Mode)
        {
            case UpstreamMode.Down:
                context.Abort();
                return;
            case UpstreamMode.TooManyRequests:
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsync("""{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
                return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(_origin, path + context.Request.QueryString));
        foreach (var header in context.Request.Headers)
        {
            if (header.Key is "Host" or "Content-Length" or "Content-Type" or "Transfer-Encoding")
            {
                continue;
            }

            request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value);
        }

        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not "Transfer-Encoding")
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var corrupt = Mode == UpstreamMode.CorruptBlobs && path.Contains("/blobs/sha256:", StringComparison.Ordinal);
        var slow = BlobChunkDelay > TimeSpan.Zero && path.Contains("/blobs/sha256:", StringComparison.Ordinal) && context.Request.Method == "GET";
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
            if (slow)
            {
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(BlobChunkDelay, context.RequestAborted);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}
