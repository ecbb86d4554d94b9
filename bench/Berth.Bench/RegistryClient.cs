using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Bench;

/// <summary>The raw HTTP side of the workloads: uploads, blob GETs and the seeding of repositories and tags.</summary>
internal sealed class RegistryClient : IDisposable
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string ManifestAccept =
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

    private readonly HttpClient _http;

    public RegistryClient(Server server)
    {
        Server = server;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        _http = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromMinutes(5) };
        if (server.Credentials is { } c)
        {
            _http.DefaultRequestHeaders.Authorization = BasicAuth(c.User, c.Password);
        }
    }

    public Server Server { get; }

    /// <summary>From now on every request carries this registry token instead of the server's Basic credentials.</summary>
    public void UseBearer(string token) => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    public static AuthenticationHeaderValue BasicAuth(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static string DigestOf(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>
    /// POST, then one PUT carrying the whole blob (sent by curl from <paramref name="file"/>, which holds the same
    /// bytes as <paramref name="data"/>). Returns the time of the POST plus curl's transfer time.
    /// </summary>
    public async Task<TimeSpan> UploadMonolithicAsync(string repository, ReadOnlyMemory<byte> data, string digest, string? file, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var location = await StartUploadAsync(repository, ct);
        if (file is not null)
        {
            var post = stopwatch.Elapsed;
            var (status, elapsed, sent, _) = await Curl.RunAsync("PUT", WithDigest(location, digest), file, AuthHeaders(), ct);
            ExpectCurl(status, 201, sent, data.Length, "PUT blob");
            return post + elapsed;
        }

        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = Octets(data) };
        using var response = await _http.SendAsync(put, ct);
        await Expect(response, HttpStatusCode.Created, "PUT blob");
        return stopwatch.Elapsed;
    }

    /// <summary>POST, then curl PUTs the whole of <paramref name="file"/> (<paramref name="length"/> bytes); POST + curl's time.</summary>
    public async Task<TimeSpan> UploadFileAsync(string repository, string file, long length, string digest, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var location = await StartUploadAsync(repository, ct);
        var post = stopwatch.Elapsed;
        var (status, elapsed, sent, _) = await Curl.RunAsync("PUT", WithDigest(location, digest), file, AuthHeaders(), ct);
        ExpectCurl(status, 201, sent, length, "PUT blob");
        return post + elapsed;
    }

    /// <summary>
    /// One page of a listing (<c>/v2/_catalog</c> or a tag list): how many names it held (<paramref name="field"/>'s
    /// array) and the next page's path from the Link header, if any.
    /// </summary>
    public async Task<(int Count, string? Next)> GetListingPageAsync(string pathAndQuery, string field, CancellationToken ct)
    {
        using var response = await _http.GetAsync(pathAndQuery, ct);
        await Expect(response, HttpStatusCode.OK, $"GET {pathAndQuery}");
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var json = await System.Text.Json.JsonDocument.ParseAsync(body, cancellationToken: ct);
        var count = json.RootElement.TryGetProperty(field, out var names) && names.ValueKind == System.Text.Json.JsonValueKind.Array ? names.GetArrayLength() : 0;
        string? next = null;
        if (response.Headers.TryGetValues("Link", out var links))
        {
            // <url>; rel="next" (the url may be absolute or a path)
            var link = links.FirstOrDefault(l => l.Contains("rel=\"next\"", StringComparison.Ordinal));
            if (link is not null && link.IndexOf('<') is var start and >= 0 && link.IndexOf('>', start) is var end and > 0)
            {
                var target = link[(start + 1)..end];
                // A path is not an absolute URI here: on Unix, Uri takes "/v2/…" for a file path and escapes its '?'.
                next = target.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? new Uri(target).PathAndQuery : target;
            }
        }

        return (count, next);
    }

    /// <summary>POST, one PATCH per chunk file (with Content-Range), then an empty PUT; curl sends the chunks.</summary>
    public async Task<TimeSpan> UploadChunkedAsync(string repository, IReadOnlyList<string> chunkFiles, string digest, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var location = await StartUploadAsync(repository, ct);
        var total = stopwatch.Elapsed;
        long offset = 0;
        foreach (var file in chunkFiles)
        {
            var length = new FileInfo(file).Length;
            var headers = AuthHeaders().Append($"Content-Range: {offset}-{offset + length - 1}");
            var (status, elapsed, sent, next) = await Curl.RunAsync("PATCH", location, file, headers, ct);
            ExpectCurl(status, 202, sent, length, "PATCH blob");
            total += elapsed;
            offset += length;
            location = Resolve(new Uri(next, UriKind.RelativeOrAbsolute)); // Distribution signs a new _state each time
        }

        stopwatch.Restart();
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = Octets(ReadOnlyMemory<byte>.Empty) };
        using var done = await _http.SendAsync(put, ct);
        await Expect(done, HttpStatusCode.Created, "PUT blob");
        return total + stopwatch.Elapsed;
    }

    /// <summary>One PATCH of <paramref name="file"/> at <paramref name="offset"/>, sent by curl to this server whichever node began the upload.</summary>
    public async Task<(TimeSpan Elapsed, Uri Next)> PatchAsync(Uri location, string file, long offset, CancellationToken ct)
    {
        var length = new FileInfo(file).Length;
        var headers = AuthHeaders().Append($"Content-Range: {offset}-{offset + length - 1}");
        var (status, elapsed, sent, next) = await Curl.RunAsync("PATCH", OnThisServer(location), file, headers, ct);
        ExpectCurl(status, 202, sent, length, "PATCH blob");
        return (elapsed, Resolve(new Uri(next, UriKind.RelativeOrAbsolute)));
    }

    /// <summary>The empty PUT that completes an upload on this server; returns its time.</summary>
    public async Task<TimeSpan> CompleteAsync(Uri location, string digest, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(OnThisServer(location), digest)) { Content = Octets(ReadOnlyMemory<byte>.Empty) };
        using var done = await _http.SendAsync(put, ct);
        await Expect(done, HttpStatusCode.Created, "PUT blob");
        return stopwatch.Elapsed;
    }

    /// <summary>An upload URL (perhaps another node's) on this server.</summary>
    public Uri OnThisServer(Uri location) => new(Server.BaseUri, location.PathAndQuery);

    /// <summary>GETs a blob into /dev/null with curl; returns curl's transfer time.</summary>
    public async Task<TimeSpan> GetBlobAsync(string repository, string digest, long expectedSize, CancellationToken ct)
    {
        var (status, elapsed, received, _) = await Curl.RunAsync("GET", new Uri(Server.BaseUri, $"/v2/{repository}/blobs/{digest}"), null, AuthHeaders(), ct);
        ExpectCurl(status, 200, received, expectedSize, "GET blob");
        return elapsed;
    }

    /// <summary>Cross-repository mount; falls back to an upload when the registry answers with a session instead.</summary>
    public async Task MountOrUploadAsync(string repository, string fromRepository, ReadOnlyMemory<byte> data, string digest, CancellationToken ct)
    {
        using var response = await _http.PostAsync($"/v2/{repository}/blobs/uploads/?mount={digest}&from={fromRepository}", null, ct);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return;
        }

        await Expect(response, HttpStatusCode.Accepted, "POST mount");
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(Resolve(response.Headers.Location), digest)) { Content = Octets(data) };
        using var done = await _http.SendAsync(put, ct);
        await Expect(done, HttpStatusCode.Created, "PUT blob");
    }

    public async Task PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _http.PutAsync($"/v2/{repository}/manifests/{reference}", content, ct);
        await Expect(response, HttpStatusCode.Created, "PUT manifest");
    }

    /// <summary>A monolithic upload in one request: POST with the digest and the whole blob.</summary>
    public async Task PostBlobAsync(string repository, ReadOnlyMemory<byte> data, string digest, CancellationToken ct)
    {
        using var response = await _http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={Uri.EscapeDataString(digest)}", Octets(data), ct);
        await Expect(response, HttpStatusCode.Created, "POST blob");
    }

    /// <summary>
    /// Pulls an image by digest: the manifest (its bytes must be <paramref name="manifest"/>), then its config and every
    /// layer, each checked against its digest.
    /// </summary>
    public async Task PullCheckedAsync(string repository, string digest, byte[] manifest, CancellationToken ct)
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{digest}"))
        {
            request.Headers.TryAddWithoutValidation("Accept", ManifestAccept);
            using var response = await _http.SendAsync(request, ct);
            await Expect(response, HttpStatusCode.OK, $"GET manifest {repository}@{digest}");
            if (!(await response.Content.ReadAsByteArrayAsync(ct)).AsSpan().SequenceEqual(manifest))
            {
                throw new InvalidOperationException($"{Server.Name}: manifest {repository}@{digest} came back different");
            }
        }

        using var document = System.Text.Json.JsonDocument.Parse(manifest);
        var blobs = document.RootElement.GetProperty("layers").EnumerateArray().Prepend(document.RootElement.GetProperty("config"))
            .Select(d => d.GetProperty("digest").GetString()!);
        foreach (var blob in blobs)
        {
            using var response = await _http.GetAsync($"/v2/{repository}/blobs/{blob}", ct);
            await Expect(response, HttpStatusCode.OK, $"GET blob {repository}@{blob}");
            if (DigestOf(await response.Content.ReadAsByteArrayAsync(ct)) != blob)
            {
                throw new InvalidOperationException($"{Server.Name}: blob {repository}@{blob} came back different");
            }
        }
    }

    /// <summary>GET that must answer 200; returns the body (for checks made once, outside any timing).</summary>
    public async Task<string> GetStringAsync(string pathAndQuery, string? accept, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _http.SendAsync(request, ct);
        await Expect(response, HttpStatusCode.OK, $"GET {pathAndQuery}");
        return await response.Content.ReadAsStringAsync(ct);
    }

    public async Task<HttpStatusCode> HeadAsync(string pathAndQuery, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, pathAndQuery);
        using var response = await _http.SendAsync(request, ct);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();

    private IEnumerable<string> AuthHeaders() =>
        Server.Credentials is { } c ? [$"Authorization: {BasicAuth(c.User, c.Password)}"] : [];

    private void ExpectCurl(int status, int expected, long bytes, long expectedBytes, string what)
    {
        if (status != expected || bytes != expectedBytes)
        {
            throw new InvalidOperationException($"{Server.Name}: {what} answered {status} after {bytes} bytes, expected {expected} after {expectedBytes}");
        }
    }

    public async Task<Uri> StartUploadAsync(string repository, CancellationToken ct)
    {
        using var response = await _http.PostAsync($"/v2/{repository}/blobs/uploads/", null, ct);
        await Expect(response, HttpStatusCode.Accepted, "POST upload");
        return Resolve(response.Headers.Location);
    }

    private Uri Resolve(Uri? location) =>
        location is null ? throw new InvalidOperationException($"{Server.Name}: no Location header")
        : location.IsAbsoluteUri ? location
        : new Uri(Server.BaseUri, location);

    private static Uri WithDigest(Uri location, string digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));

    private static ReadOnlyMemoryContent Octets(ReadOnlyMemory<byte> data)
    {
        var content = new ReadOnlyMemoryContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = data.Length;
        return content;
    }

    private async Task Expect(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        if (response.StatusCode != status)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"{Server.Name}: {what} answered {(int)response.StatusCode}, expected {(int)status}: {body[..Math.Min(body.Length, 500)]}");
        }
    }
}
