using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Berth.Conformance.Tests.Support;

/// <summary>Thin helpers over HttpClient for the Distribution API. Setup helpers assert success; tests assert the rest.</summary>
public sealed class RegistryApi(HttpClient http)
{
    public HttpClient Http => http;

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathOrUri, HttpContent? content = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(method, ToUri(pathOrUri), content, configure);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        configure?.Invoke(request);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string path, params string[] accept) =>
        SendAsync(HttpMethod.Get, path, configure: r => AddAccept(r, accept));

    public Task<HttpResponseMessage> HeadAsync(string path, params string[] accept) =>
        SendAsync(HttpMethod.Head, path, configure: r => AddAccept(r, accept));

    public Task<HttpResponseMessage> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>Accept header listing every manifest type the suite uses.</summary>
    public static readonly string[] AllManifestTypes =
        [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList];

    public Task<HttpResponseMessage> GetManifestAsync(string repo, string reference) =>
        GetAsync($"v2/{repo}/manifests/{reference}", AllManifestTypes);

    public Task<HttpResponseMessage> HeadManifestAsync(string repo, string reference) =>
        HeadAsync($"v2/{repo}/manifests/{reference}", AllManifestTypes);

    public Task<HttpResponseMessage> GetBlobAsync(string repo, string digest) => GetAsync($"v2/{repo}/blobs/{digest}");

    public Task<HttpResponseMessage> HeadBlobAsync(string repo, string digest) => HeadAsync($"v2/{repo}/blobs/{digest}");

    /// <summary>POST with an empty body; returns the raw response (202 expected).</summary>
    public Task<HttpResponseMessage> PostUploadAsync(string repo, string query = "") =>
        SendAsync(HttpMethod.Post, $"v2/{repo}/blobs/uploads/{query}", Empty());

    /// <summary>Opens an upload session and returns its absolute URL.</summary>
    public async Task<Uri> StartUploadAsync(string repo)
    {
        using var response = await PostUploadAsync(repo);
        await Check.StatusAsync(response, HttpStatusCode.Accepted);
        return Check.Location(response);
    }

    public Task<HttpResponseMessage> PatchAsync(Uri session, byte[] chunk, string? contentRange)
    {
        var content = Octets(chunk);
        return SendAsync(HttpMethod.Patch, session, content, r =>
        {
            if (contentRange is not null)
            {
                r.Content!.Headers.TryAddWithoutValidation("Content-Range", contentRange);
            }
        });
    }

    public Task<HttpResponseMessage> PutUploadAsync(Uri session, string? digest, byte[]? body = null, string? contentRange = null)
    {
        var uri = digest is null ? session : WithQuery(session, "digest", digest);
        return SendAsync(HttpMethod.Put, uri, body is null ? Empty() : Octets(body), r =>
        {
            if (contentRange is not null)
            {
                r.Content!.Headers.TryAddWithoutValidation("Content-Range", contentRange);
            }
        });
    }

    /// <summary>POST then PUT with the whole blob: the upload every registry supports.</summary>
    public async Task PushBlobAsync(string repo, Blob blob)
    {
        var session = await StartUploadAsync(repo);
        using var response = await PutUploadAsync(session, blob.Digest, blob.Bytes);
        await Check.StatusAsync(response, HttpStatusCode.Created);
    }

    public async Task PushBlobsAsync(string repo, IEnumerable<Blob> blobs)
    {
        foreach (var blob in blobs)
        {
            await PushBlobAsync(repo, blob);
        }
    }

    public Task<HttpResponseMessage> PutManifestAsync(string repo, string reference, Manifest manifest, string? contentType = null) =>
        PutManifestAsync(repo, reference, manifest.Bytes, contentType ?? manifest.MediaType);

    public Task<HttpResponseMessage> PutManifestAsync(string repo, string reference, byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return SendAsync(HttpMethod.Put, $"v2/{repo}/manifests/{reference}", content);
    }

    public async Task PushManifestAsync(string repo, string reference, Manifest manifest)
    {
        using var response = await PutManifestAsync(repo, reference, manifest);
        await Check.StatusAsync(response, HttpStatusCode.Created);
    }

    /// <summary>Pushes the blobs, then the manifest under <paramref name="tag"/> (or by digest when null).</summary>
    public async Task PushImageAsync(string repo, Image image, string? tag = "latest")
    {
        await PushBlobsAsync(repo, image.Blobs);
        await PushManifestAsync(repo, tag ?? image.Manifest.Digest, image.Manifest);
    }

    public async Task<List<string>> TagsAsync(string repo)
    {
        using var response = await GetAsync($"v2/{repo}/tags/list");
        await Check.StatusAsync(response, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return Json.Strings(doc.RootElement, "tags");
    }

    public Uri ToUri(string pathOrUri) =>
        Uri.TryCreate(pathOrUri, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? absolute
            : new Uri(http.BaseAddress!, pathOrUri);

    public static Uri WithQuery(Uri uri, string name, string value)
    {
        var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
        return new Uri(uri.GetLeftPart(UriPartial.Path) + uri.Query + separator + name + "=" + Uri.EscapeDataString(value));
    }

    public static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OctetStream);
        return content;
    }

    public static ByteArrayContent Empty() => new([]);

    private static void AddAccept(HttpRequestMessage request, string[] accept)
    {
        foreach (var type in accept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }
    }
}

/// <summary>Assertions on responses, with the body in the message when they fail.</summary>
public static class Check
{
    public const string ApiVersionHeader = "Docker-Distribution-API-Version";

    public static async Task StatusAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Assert.Fail($"{Describe(response)}: expected {string.Join(" or ", expected.Select(s => (int)s))}, got {(int)response.StatusCode}. Body: {await BodyTextAsync(response)}");
        }
    }

    /// <summary>The status is one of <paramref name="expected"/> and the body is the spec's error JSON naming one of <paramref name="codes"/>.</summary>
    public static async Task ErrorAsync(HttpResponseMessage response, HttpStatusCode expected, params string[] codes) =>
        await ErrorAsync(response, [expected], codes);

    public static async Task ErrorAsync(HttpResponseMessage response, HttpStatusCode[] expected, params string[] codes)
    {
        await StatusAsync(response, expected);
        if (response.RequestMessage?.Method == HttpMethod.Head || codes.Length == 0)
        {
            return;
        }

        var found = await ErrorCodesAsync(response);
        Assert.True(
            found.Any(codes.Contains),
            $"{Describe(response)}: expected error code {string.Join(" or ", codes)}, got [{string.Join(", ", found)}]. Body: {await BodyTextAsync(response)}");
    }

    /// <summary>The codes of <c>{"errors":[{"code":…}]}</c>; empty when the body is not that JSON.</summary>
    public static async Task<List<string>> ErrorCodesAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return ErrorCodes(bytes);
    }

    public static List<string> ErrorCodes(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                return errors.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String)
                    .Select(e => e.GetProperty("code").GetString()!)
                    .ToList();
            }
        }
        catch (JsonException)
        {
        }

        return [];
    }

    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
        {
            return string.Join(",", values);
        }

        return null;
    }

    public static string RequiredHeader(HttpResponseMessage response, string name)
    {
        var value = Header(response, name);
        Assert.False(string.IsNullOrEmpty(value), $"{Describe(response)}: header {name} is missing");
        return value!;
    }

    /// <summary>The Location header resolved against the request URL (it may be relative).</summary>
    public static Uri Location(HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        Assert.True(location is not null, $"{Describe(response)}: Location header is missing");
        return location!.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    public static void ApiVersion(HttpResponseMessage response) =>
        Assert.True(
            Header(response, ApiVersionHeader) == "registry/2.0",
            $"{Describe(response)} ({(int)response.StatusCode}): {ApiVersionHeader} is '{Header(response, ApiVersionHeader)}', expected 'registry/2.0'");

    /// <summary>The upload Range header, which must be exactly <c>0-{last}</c>.</summary>
    public static void UploadRange(HttpResponseMessage response, long lastByte) =>
        Assert.Equal($"0-{lastByte}", RequiredHeader(response, "Range"));

    /// <summary>Last byte offset from an upload Range header (<c>0-N</c>), or -1 when the session holds nothing.</summary>
    public static long UploadOffset(HttpResponseMessage response)
    {
        var range = Header(response, "Range");
        if (string.IsNullOrEmpty(range))
        {
            return -1;
        }

        range = range.StartsWith("bytes=", StringComparison.Ordinal) ? range[6..] : range;
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        Assert.True(dash > 0 && range[..dash] == "0", $"bad upload Range header '{range}'");
        return long.Parse(range[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<string> BodyTextAsync(HttpResponseMessage response)
    {
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 2000));
            return bytes.Length > 2000 ? text + "…" : text;
        }
        catch (ObjectDisposedException)
        {
            return "(disposed)";
        }
    }

    public static string Describe(HttpResponseMessage response) =>
        $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}";
}

public static class Json
{
    public static List<string> Strings(JsonElement element, string property) =>
        element.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(e => e.GetString()!).ToList()
            : [];
}
