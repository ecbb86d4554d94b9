using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Oci;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Tests.Support;

/// <summary>One request as the proxy saw it.</summary>
public sealed record ProxiedRequest(string Method, string PathAndQuery, string? Range, string? ContentRange, int Status, bool HadToken);

/// <summary>
/// A reverse proxy on loopback in front of a real registry, with what the registry under test lacks or must suffer:
/// Docker token auth (a token endpoint issuing opaque tokens with scopes and lifetimes, and a registry side that
/// demands them), dropped connections mid-blob in either direction, and throttling (so a test can kill a client
/// mid-transfer). Every request is logged for assertions.
/// </summary>
public sealed class RegistryProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, Grant> _tokens = new();
    private readonly ConcurrentQueue<ProxiedRequest> _log = new();
    private readonly ConcurrentQueue<string> _tokenRequests = new();
    private readonly ConcurrentDictionary<string, bool> _cutDigests = new();
    private int _uploadCuts;
    private long _uploadBytes;

    private RegistryProxy(WebApplication app, Uri upstream)
    {
        _app = app;
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = upstream,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string HostPort { get; private set; } = "";

    /// <summary>When set, /v2 demands Bearer tokens from /token; the token endpoint wants these users (Basic).</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    public bool RequireBearer { get; init; }

    /// <summary>expires_in of issued tokens; the proxy enforces it too.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Drop the connection of the first GET of each blob after this many bytes.</summary>
    public long? CutDownloadsAfter { get; set; }

    /// <summary>Drop the connection of the first upload body (PATCH/PUT) larger than this, after this many bytes.</summary>
    public long? CutUploadAfter { get; set; }

    /// <summary>Bytes per second for blob bodies in either direction (0: unlimited).</summary>
    public long Throttle { get; set; }

    public int TokensIssued => _tokenRequests.Count;

    /// <summary>Bytes of blob uploads passed on to the registry so far (throttled uploads only).</summary>
    public long UploadBytesForwarded => Interlocked.Read(ref _uploadBytes);

    public IReadOnlyList<string> TokenRequests => [.. _tokenRequests];

    public IReadOnlyList<ProxiedRequest> Log => [.. _log];

    public static async Task<RegistryProxy> StartAsync(Uri upstream, Action<RegistryProxy>? configure = null, bool requireBearer = false,
        IReadOnlyDictionary<string, string>? users = null, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            o.Limits.MaxRequestBodySize = null;
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new RegistryProxy(app, upstream) { RequireBearer = requireBearer, Users = users };
        configure?.Invoke(proxy);
        app.Run(context => context.Request.Path == "/token" ? proxy.TokenAsync(context) : proxy.ForwardAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.HostPort = new Uri(address).Authority;
        return proxy;
    }

    /// <summary>Every token issued so far stops working (the registry answers 401): clients must fetch new ones.</summary>
    public void RevokeAllTokens() => _tokens.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    /// <summary>Refresh tokens the OAuth2 form of the token endpoint accepts (POST grant_type=refresh_token), per user.</summary>
    public Dictionary<string, string> RefreshTokens { get; } = [];

    public int RefreshGrants => _refreshGrants;

    private int _refreshGrants;

    private async Task TokenAsync(HttpContext context)
    {
        var request = context.Request;
        string? account = null;
        if (request.Method == "POST")
        {
            var form = await request.ReadFormAsync();
            var user = RefreshTokens.FirstOrDefault(r => r.Value == form["refresh_token"]).Key;
            if (form["grant_type"] != "refresh_token" || user is null || string.IsNullOrEmpty(form["client_id"]))
            {
                context.Response.StatusCode = 401;
                return;
            }

            Interlocked.Increment(ref _refreshGrants);
            await IssueAsync(context, user, form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList());
            return;
        }

        if (request.Headers.Authorization.ToString() is { Length: > 6 } header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            var (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
            if (Users is null || !Users.TryGetValue(user, out var expected) || expected != password)
            {
                context.Response.StatusCode = 401;
                return;
            }

            account = user;
        }

        var scopes = request.Query["scope"].SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        await IssueAsync(context, account, scopes);
    }

    private async Task IssueAsync(HttpContext context, string? account, List<string> scopes)
    {
        _tokenRequests.Enqueue(string.Join(' ', scopes));
        // Anonymous callers get an empty grant when accounts exist: refusing is an empty grant, not an error.
        var granted = account is null && Users is not null ? [] : scopes.ToHashSet(StringComparer.Ordinal);
        var token = "tok-" + Guid.NewGuid().ToString("N");
        _tokens[token] = new Grant(granted, DateTimeOffset.UtcNow + TokenLifetime);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            token,
            access_token = token,
            expires_in = (int)TokenLifetime.TotalSeconds,
            issued_at = DateTimeOffset.UtcNow.ToString("o"),
        }));
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var hadToken = false;
        if (RequireBearer && request.Path.StartsWithSegments("/v2"))
        {
            var needed = RequiredScopes(request);
            var bearer = request.Headers.Authorization.ToString();
            hadToken = bearer.StartsWith("Bearer ", StringComparison.Ordinal);
            if (!hadToken || !_tokens.TryGetValue(bearer[7..], out var grant) || grant.ExpiresAt < DateTimeOffset.UtcNow ||
                !needed.All(grant.Allows))
            {
                var scope = needed.Count == 0 ? "" : $",scope=\"{string.Join(' ', needed)}\"";
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{HostPort}/token\",service=\"berth-test\"{scope}";
                context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
                Record(context, 401, hadToken);
                return;
            }
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        var isUpload = request.Method is "PATCH" or "PUT" && request.Path.Value!.Contains("/blobs/uploads/", StringComparison.Ordinal);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            Stream body = request.Body;
            if (isUpload && CutUploadAfter is { } limit && request.ContentLength > limit && Interlocked.Increment(ref _uploadCuts) == 1)
            {
                body = new CuttingStream(body, limit);
            }

            if (isUpload && Throttle > 0)
            {
                body = new ThrottledStream(body, Throttle, n => Interlocked.Add(ref _uploadBytes, n));
            }

            forward.Content = new StreamContent(body, 64 * 1024);
            foreach (var name in new[] { "Content-Type", "Content-Length", "Content-Range" })
            {
                if (request.Headers.TryGetValue(name, out var value))
                {
                    forward.Content.Headers.TryAddWithoutValidation(name, value.ToArray());
                }
            }
        }
        else if (request.Method is "PUT" or "POST" or "PATCH")
        {
            forward.Content = new ByteArrayContent([]);
        }

        foreach (var name in new[] { "Accept", "Range", "User-Agent" })
        {
            if (request.Headers.TryGetValue(name, out var value))
            {
                forward.Headers.TryAddWithoutValidation(name, value.ToArray());
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            // The body was cut (or the client left): drop the client's connection too, as a network failure would.
            Record(context, 0, hadToken);
            context.Abort();
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (name is not ("Transfer-Encoding" or "Connection"))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            Record(context, (int)response.StatusCode, hadToken);
            if (request.Method == "HEAD")
            {
                return;
            }

            await using var upstreamBody = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            var isBlobGet = request.Method == "GET" && request.Path.Value!.Contains("/blobs/sha", StringComparison.Ordinal);
            long? cutAt = isBlobGet && CutDownloadsAfter is { } cut && _cutDigests.TryAdd(request.Path.Value!, true) ? cut : null;
            await CopyAsync(upstreamBody, context, cutAt, isBlobGet ? Throttle : 0);
        }
    }

    private static async Task CopyAsync(Stream source, HttpContext context, long? cutAt, long throttle)
    {
        var buffer = new byte[64 * 1024];
        long sent = 0;
        var started = DateTime.UtcNow;
        while (true)
        {
            var want = cutAt is { } limit ? (int)Math.Min(buffer.Length, limit - sent) : buffer.Length;
            if (want <= 0)
            {
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }

            var read = await source.ReadAsync(buffer.AsMemory(0, want), context.RequestAborted);
            if (read == 0)
            {
                return;
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            sent += read;
            if (throttle > 0)
            {
                var due = started + TimeSpan.FromSeconds((double)sent / throttle);
                if (due > DateTime.UtcNow)
                {
                    await Task.Delay(due - DateTime.UtcNow, context.RequestAborted);
                }
            }
        }
    }

    /// <summary>The token scopes a /v2 request needs, as a registry would compute them.</summary>
    private static List<string> RequiredScopes(HttpRequest request)
    {
        var path = Uri.UnescapeDataString(request.Path.Value!["/v2".Length..].TrimStart('/'));
        var parsed = RegistryRoute.Parse(path);
        if (!parsed.IsSuccess || parsed.Value.Kind == RouteKind.Base)
        {
            return [];
        }

        var route = parsed.Value;
        if (route.Kind == RouteKind.Catalog)
        {
            return ["registry:catalog:*"];
        }

        var action = request.Method switch
        {
            "GET" or "HEAD" => "pull",
            "DELETE" => "delete",
            _ => "push",
        };
        var scopes = new List<string> { $"repository:{route.Name}:{action}" };
        if (request.Query.TryGetValue("from", out var from) && route.Kind == RouteKind.UploadStart)
        {
            scopes.Add($"repository:{from}:pull");
        }

        return scopes;
    }

    private void Record(HttpContext context, int status, bool hadToken) =>
        _log.Enqueue(new ProxiedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
            context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null,
            context.Request.Headers["Content-Range"].ToString() is { Length: > 0 } cr ? cr : null,
            status, hadToken));

    private sealed record Grant(HashSet<string> Scopes, DateTimeOffset ExpiresAt)
    {
        public bool Allows(string needed)
        {
            var colon = needed.LastIndexOf(':');
            var resource = needed[..colon];
            var action = needed[(colon + 1)..];
            return Scopes.Any(s => s.LastIndexOf(':') is var c && c > 0 && s[..c] == resource &&
                (s[(c + 1)..].Split(',').Contains(action) || s[(c + 1)..] == "*"));
        }
    }

    /// <summary>Passes <paramref name="limit"/> bytes, then fails as a dropped connection does.</summary>
    private sealed class CuttingStream(Stream inner, long limit) : Stream
    {
        private long _passed;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _passed; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_passed >= limit)
            {
                throw new IOException("connection dropped by the test proxy");
            }

            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _passed)], cancellationToken);
            _passed += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Reads at most <paramref name="bytesPerSecond"/>.</summary>
    private sealed class ThrottledStream(Stream inner, long bytesPerSecond, Action<int> passed) : Stream
    {
        private readonly DateTime _started = DateTime.UtcNow;
        private long _passed;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _passed; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, 64 * 1024)], cancellationToken);
            _passed += read;
            passed(read);
            var due = _started + TimeSpan.FromSeconds((double)_passed / bytesPerSecond);
            if (due > DateTime.UtcNow)
            {
                await Task.Delay(due - DateTime.UtcNow, cancellationToken);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
