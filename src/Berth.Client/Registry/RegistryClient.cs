using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Berth.Client.Auth;
using Berth.Oci;

namespace Berth.Client.Registry;

/// <summary>The OCI Distribution API over one <see cref="HttpMessageInvoker"/> pipeline (retry → auth → sockets).</summary>
internal sealed class RegistryClient(string registry, Uri baseUri, HttpMessageInvoker http) : IRegistryClient
{
    /// <summary>Every manifest type we can copy; a registry picks the stored one (no conversion).</summary>
    internal static readonly string[] ManifestAccept =
    [
        MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest,
    ];

    private const string DigestHeader = "Docker-Content-Digest";

    public string Registry { get; } = registry;

    public Uri BaseUri { get; } = baseUri;

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "/v2/"));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, "ping", cancellationToken);
    }

    public async Task<ManifestBlob> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = ManifestRequest(HttpMethod.Get, repository, reference).WithScopes(RegistryScope.Pull(repository));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken);
        if (response.Content.Headers.ContentLength > ManifestParser.MaxManifestBytes)
        {
            throw new RegistryException(RegistryErrorKind.Invalid, $"manifest {repository}:{reference} is larger than {ManifestParser.MaxManifestBytes} bytes");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.IsNullOrEmpty(mediaType) || !MediaTypes.IsManifest(mediaType))
        {
            mediaType = MediaTypeFromBody(bytes) ?? mediaType ?? MediaTypes.OciManifest;
        }

        // The digest asked for, else the one announced: anything else is content we did not ask for.
        Digest? expected = Digest.TryParse(reference, out var pinned) ? pinned
            : Digest.TryParse(HeaderValue(response, DigestHeader), out var announced) ? announced : null;
        var actual = Digest.Compute(expected?.Algorithm ?? DigestAlgorithm.Sha256, bytes);
        if (expected is { } e && e != actual)
        {
            throw new RegistryException(RegistryErrorKind.DigestMismatch,
                $"manifest {repository}:{reference} from {Registry} hashes to {actual}, not {e}: refusing it");
        }

        return new ManifestBlob(bytes, mediaType, actual);
    }

    public async Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = ManifestRequest(HttpMethod.Head, repository, reference).WithScopes(RegistryScope.Pull(repository));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken);
        if (!Digest.TryParse(HeaderValue(response, DigestHeader), out var digest))
        {
            // Without the header a HEAD tells us nothing verifiable; GET and hash instead.
            var manifest = await GetManifestAsync(repository, reference, cancellationToken);
            return manifest.Descriptor;
        }

        return new Descriptor(response.Content.Headers.ContentType?.MediaType ?? MediaTypes.OciManifest, digest,
            response.Content.Headers.ContentLength ?? 0);
    }

    public async Task<Digest> PutManifestAsync(string repository, string reference, ManifestBlob manifest, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(manifest.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        using var request = new HttpRequestMessage(HttpMethod.Put, RepositoryUri(repository, $"manifests/{reference}")) { Content = content }
            .WithScopes(RegistryScope.PullPush(repository));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken);
        if (Digest.TryParse(HeaderValue(response, DigestHeader), out var stored) && stored != manifest.Digest &&
            stored.Algorithm == manifest.Digest.Algorithm)
        {
            throw new RegistryException(RegistryErrorKind.DigestMismatch,
                $"{Registry} stored manifest {repository}:{reference} as {stored}, not {manifest.Digest}");
        }

        return manifest.Digest;
    }

    public async Task DeleteManifestAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, RepositoryUri(repository, $"manifests/{digest}"))
            .WithScopes(RegistryScope.Delete(repository));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"manifest {repository}@{digest}", cancellationToken);
    }

    public async Task DeleteTagAsync(string repository, string tag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, RepositoryUri(repository, $"manifests/{tag}"))
            .WithScopes(RegistryScope.Delete(repository));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed)
        {
            throw new RegistryException(RegistryErrorKind.Unsupported,
                $"{repository}:{tag}: {Registry} cannot delete a single tag ({(int)response.StatusCode}); `berth rm --manifest` deletes the manifest and every tag on it",
                response.StatusCode, null);
        }

        await EnsureSuccessAsync(response, $"tag {repository}:{tag}", cancellationToken);
    }

    public async Task<long?> BlobSizeAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, RepositoryUri(repository, $"blobs/{digest}"))
            .WithScopes(RegistryScope.Pull(repository));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"blob {repository}@{digest}", cancellationToken);
        return response.Content.Headers.ContentLength;
    }

    public async Task<Stream> OpenBlobAsync(string repository, Digest digest, long offset, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, RepositoryUri(repository, $"blobs/{digest}"))
            .WithScopes(RegistryScope.Pull(repository));
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
            await EnsureSuccessAsync(response, $"blob {repository}@{digest}", cancellationToken);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var stream = new ResponseStream(body, response, request);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                // The registry ignored the range: skip what we already have.
                await SkipAsync(stream, offset, cancellationToken);
            }

            return stream;
        }
        catch
        {
            response?.Dispose();
            request.Dispose();
            throw;
        }
    }

    public async Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken cancellationToken)
    {
        var uri = RepositoryUri(repository, $"blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            .WithScopes(RegistryScope.PullPush(repository), RegistryScope.Pull(fromRepository));
        request.Content = new ByteArrayContent([]);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return true;
        }

        await EnsureSuccessAsync(response, $"mount of {digest} into {repository}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location)
        {
            // A fresh session we did not ask for; the caller opens its own when it uploads.
            await CancelUploadAsync(repository, Resolve(location), cancellationToken);
        }

        return false;
    }

    public async Task<Uri?> PostBlobAsync(string repository, Digest digest, Stream content, long length, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post,
            RepositoryUri(repository, $"blobs/uploads/?digest={Uri.EscapeDataString(digest.ToString())}"))
        {
            Content = StreamBody(content, length),
        }.WithScopes(RegistryScope.PullPush(repository));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"blob {digest} in {repository}", cancellationToken);
        return response.Headers.Location is { } location
            ? Resolve(location)
            : throw new RegistryException(RegistryErrorKind.Invalid, $"{Registry} opened an upload without a Location header");
    }

    public async Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, RepositoryUri(repository, "blobs/uploads/"))
            .WithScopes(RegistryScope.PullPush(repository));
        request.Content = new ByteArrayContent([]);
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"upload to {repository}", cancellationToken);
        return response.Headers.Location is { } location
            ? Resolve(location)
            : throw new RegistryException(RegistryErrorKind.Invalid, $"{Registry} opened an upload without a Location header");
    }

    public async Task<long?> UploadOffsetAsync(string repository, Uri location, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, location).WithScopes(RegistryScope.PullPush(repository));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"upload status in {repository}", cancellationToken);
        // "0-0" is what registries answer for an empty session as well as for one byte: read it as empty (a one-byte
        // session then meets a 416 and the caller starts over).
        return RangeEnd(response) is { } end and > 0 ? end + 1 : 0;
    }

    public async Task<Uri> UploadChunkAsync(string repository, Uri location, Stream content, long offset, long length, CancellationToken cancellationToken)
    {
        var body = StreamBody(content, length);
        if (length > 0)
        {
            body.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
        }

        using var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = body }
            .WithScopes(RegistryScope.PullPush(repository));

        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"upload to {repository}", cancellationToken);
        return response.Headers.Location is { } next ? Resolve(next) : location;
    }

    public async Task CompleteUploadAsync(string repository, Uri location, Digest digest, Stream? content, long length, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest", digest.ToString()))
            .WithScopes(RegistryScope.PullPush(repository));
        request.Content = content is null ? new ByteArrayContent([]) : StreamBody(content, length);
        request.Content.Headers.ContentType ??= new MediaTypeHeaderValue(MediaTypes.OctetStream);
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"blob {digest} in {repository}", cancellationToken);
    }

    public async Task CancelUploadAsync(string repository, Uri location, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, location).WithScopes(RegistryScope.PullPush(repository));
        // Best effort: an abandoned session is reclaimed by the registry anyway.
        using var response = await SendAsync(request, cancellationToken);
    }

    public IAsyncEnumerable<string> ListTagsAsync(string repository, int? pageSize, CancellationToken cancellationToken) =>
        PagesAsync(RepositoryUri(repository, "tags/list" + PageQuery(pageSize)), "tags", RegistryScope.Pull(repository), $"tags of {repository}", cancellationToken);

    public IAsyncEnumerable<string> CatalogAsync(int? pageSize, CancellationToken cancellationToken) =>
        PagesAsync(new Uri(BaseUri, "/v2/_catalog" + PageQuery(pageSize)), "repositories", RegistryScope.Catalog, "catalog", cancellationToken);

    public async Task<ManifestBlob> ReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        using var request = new HttpRequestMessage(HttpMethod.Get, RepositoryUri(repository, $"referrers/{subject}{query}"))
            .WithScopes(RegistryScope.Pull(repository));
        request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // Registries without the API: the referrers tag schema (sha256-<hex>), or nothing.
            var fallbackTag = $"{subject.AlgorithmName}-{subject.Encoded}";
            return await HeadManifestAsync(repository, fallbackTag, cancellationToken) is not null
                ? await GetManifestAsync(repository, fallbackTag, cancellationToken)
                : ManifestBlob.From("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"""u8.ToArray(), MediaTypes.OciIndex);
        }

        await EnsureSuccessAsync(response, $"referrers of {subject}", cancellationToken);
        return ManifestBlob.From(await response.Content.ReadAsByteArrayAsync(cancellationToken), MediaTypes.OciIndex);
    }

    private async IAsyncEnumerable<string> PagesAsync(Uri first, string property, string scope, string what, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Uri? next = first;
        var pages = 0;
        while (next is not null)
        {
            if (++pages > 100_000)
            {
                throw new RegistryException(RegistryErrorKind.Invalid, $"{Registry} keeps paginating the {what}; giving up");
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, next).WithScopes(scope);
            using var response = await SendAsync(request, cancellationToken);
            await EnsureSuccessAsync(response, what, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty(property, out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray())
                {
                    if (item.GetString() is { } value)
                    {
                        yield return value;
                    }
                }
            }

            next = NextLink(response);
        }
    }

    private Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open &&
                (link.Contains("rel=\"next\"", StringComparison.Ordinal) || link.Contains("rel=next", StringComparison.Ordinal)))
            {
                return new Uri(BaseUri, link[(open + 1)..close]);
            }
        }

        return null;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        request.Headers.UserAgent.ParseAdd(RegistryClients.UserAgent);
        try
        {
            var response = await http.SendAsync(request, cancellationToken);
            if (completion == HttpCompletionOption.ResponseContentRead && request.Method != HttpMethod.Head)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
            }

            return response;
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            throw new RegistryException(RegistryErrorKind.Tls,
                $"TLS handshake with {Registry} failed ({e.InnerException?.Message ?? e.Message}); for a registry with a self-signed certificate use --insecure, for one without TLS --plain-http", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException(RegistryErrorKind.Network, $"cannot reach {BaseUri.GetLeftPart(UriPartial.Authority)}: {e.Message}", inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException(RegistryErrorKind.Network, $"{Registry} did not answer in time", inner: e);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string? code = null, message = null;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length is > 0 and < 1 << 20)
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array &&
                    errors.GetArrayLength() > 0)
                {
                    var first = errors[0];
                    code = first.TryGetProperty("code", out var c) ? c.GetString() : null;
                    message = first.TryGetProperty("message", out var m) ? m.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
            // Not the spec's error body (a proxy's HTML page): the status says enough.
        }

        var status = response.StatusCode;
        var detail = message ?? code ?? response.ReasonPhrase ?? "";
        var (kind, hint) = status switch
        {
            HttpStatusCode.Unauthorized => UnauthorizedHint(response),
            HttpStatusCode.Forbidden => (RegistryErrorKind.Denied, "access denied: your account may not do this here"),
            HttpStatusCode.NotFound => (RegistryErrorKind.NotFound, "not found"),
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
                => (RegistryErrorKind.Unavailable, "the registry is busy or unavailable; try again later"),
            HttpStatusCode.MethodNotAllowed => (RegistryErrorKind.Unsupported, "the registry does not allow this operation"),
            _ when code == "DIGEST_INVALID" => (RegistryErrorKind.DigestMismatch, "the content does not match its digest"),
            HttpStatusCode.InternalServerError => (RegistryErrorKind.Unavailable, "the registry failed"),
            _ => (RegistryErrorKind.Invalid, "the registry refused the request"),
        };
        throw new RegistryException(kind, $"{what}: {hint} ({(int)status}{(code is null ? "" : " " + code)}{(detail.Length > 0 ? ": " + detail : "")})", status, code);
    }

    /// <summary>
    /// A 401 means "log in" only when no credentials were sent. With credentials, a Bearer challenge naming
    /// <c>insufficient_scope</c> is the token service granting less than asked (the account may not do this); any other
    /// is the credentials refused.
    /// </summary>
    private (RegistryErrorKind, string) UnauthorizedHint(HttpResponseMessage response)
    {
        if (response.RequestMessage?.Options.TryGetValue(AuthHandler.SentCredentialsOf, out var user) != true)
        {
            return (RegistryErrorKind.Unauthorized, $"authentication required: run `berth login {Registry}` (or pass --creds)");
        }

        var who = string.IsNullOrEmpty(user) ? "your account" : user;
        return AuthChallenge.From(response.Headers.WwwAuthenticate) is { IsBearer: true } challenge &&
            challenge.Parameters.TryGetValue("error", out var error) && error == "insufficient_scope"
            ? (RegistryErrorKind.Denied, $"access denied: {who} may not do this here")
            : (RegistryErrorKind.Unauthorized, $"the registry refused the credentials of {who}: run `berth login {Registry}` again");
    }

    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, RepositoryUri(repository, $"manifests/{reference}"));
        foreach (var type in ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return request;
    }

    private Uri RepositoryUri(string repository, string rest) => new(BaseUri, $"/v2/{repository}/{rest}");

    private Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(BaseUri, location);

    private static Uri WithQuery(Uri uri, string name, string value)
    {
        var builder = new UriBuilder(uri);
        var pair = $"{name}={Uri.EscapeDataString(value)}";
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + pair : pair;
        return builder.Uri;
    }

    private static string PageQuery(int? pageSize) => pageSize is { } n ? $"?n={n}" : "";

    private static HttpContent StreamBody(Stream content, long length)
    {
        var body = new StreamContent(content, 256 * 1024);
        body.Headers.ContentLength = length;
        body.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OctetStream);
        return body;
    }

    private static long? RangeEnd(HttpResponseMessage response)
    {
        var range = HeaderValue(response, "Range");
        return ByteRanges.TryParseContentRange(range, out _, out var end) ? end : null;
    }

    private static string? HeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;

    private static string? MediaTypeFromBody(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.TryGetProperty("mediaType", out var m) ? m.GetString()
                : document.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
            if (read == 0)
            {
                throw new RegistryException(RegistryErrorKind.Network, "the blob ended before the resume offset");
            }

            count -= read;
        }
    }
}
