using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Security.Tests.Support;

/// <summary>Assertions on responses, with the request and the body in the message when they fail.</summary>
public static class Expect
{
    public static async Task StatusAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Assert.Fail($"{Describe(response)}: expected {string.Join(" or ", expected.Select(s => (int)s))}, got {(int)response.StatusCode}. Body: {await BodyAsync(response)}");
        }
    }

    public static string Describe(HttpResponseMessage response) =>
        $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}";

    public static async Task<string> BodyAsync(HttpResponseMessage response)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync();
            return text.Length > 1500 ? text[..1500] + "…" : text;
        }
        catch (ObjectDisposedException)
        {
            return "(disposed)";
        }
    }

    /// <summary>The raw <c>WWW-Authenticate</c> value (one header expected).</summary>
    public static string Challenge(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("WWW-Authenticate", out var values), $"{Describe(response)}: no WWW-Authenticate");
        return Assert.Single(values);
    }
}

public static class Json
{
    public static StringContent Content(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}

/// <summary>Registry requests over HTTP: pushing a fixture, reading content, with an explicit token or through a handshake client.</summary>
public static class V2
{
    public static readonly string[] ManifestTypes =
        [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList];

    /// <summary>A request with <c>Authorization: Bearer <paramref name="token"/></c> (none when null).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return await http.SendAsync(request);
    }

    public static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    public static ByteArrayContent ManifestContent(Blob manifest)
    {
        var content = new ByteArrayContent(manifest.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        return content;
    }

    /// <summary>Monolithic blob upload (<c>POST ?digest=</c>); returns the status.</summary>
    public static async Task<HttpStatusCode> PushBlobAsync(HttpClient http, string repo, Blob blob, string? token = null)
    {
        using var response = await SendAsync(http, HttpMethod.Post, $"v2/{repo}/blobs/uploads/?digest={blob.Digest}", token, Octets(blob.Bytes));
        return response.StatusCode;
    }

    /// <summary>Pushes every blob then the manifest under <paramref name="tag"/>; asserts each step succeeded.</summary>
    public static async Task PushImageAsync(HttpClient http, string repo, ImageFixture image, string tag, string? token = null)
    {
        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            var status = await PushBlobAsync(http, repo, blob, token);
            Assert.True(status == HttpStatusCode.Created, $"push of {blob.Digest} to {repo} answered {(int)status}");
        }

        using var response = await SendAsync(http, HttpMethod.Put, $"v2/{repo}/manifests/{tag}", token, ManifestContent(image.Manifest));
        await Expect.StatusAsync(response, HttpStatusCode.Created);
    }

    /// <summary>Tries the whole push; returns the first status that is not a success (or 201 when all went through).</summary>
    public static async Task<HttpStatusCode> TryPushImageAsync(HttpClient http, string repo, ImageFixture image, string tag, string? token = null)
    {
        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            var status = await PushBlobAsync(http, repo, blob, token);
            if (status != HttpStatusCode.Created)
            {
                return status;
            }
        }

        using var response = await SendAsync(http, HttpMethod.Put, $"v2/{repo}/manifests/{tag}", token, ManifestContent(image.Manifest));
        return response.StatusCode;
    }

    public static async Task<(HttpStatusCode Status, byte[] Body)> GetAsync(HttpClient http, string path, string? token = null)
    {
        using var response = await SendAsync(http, HttpMethod.Get, path, token);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }
}
