using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Web.Tests.Support;

/// <summary>Pushes fixtures over the distribution API (token handshake as the given user) and calls the REST API, as a client would.</summary>
public sealed class Registry(HttpClient registry, HttpClient api, string user, string password)
{
    public string User => user;

    public async Task PushAsync(string repository, IManifestFixture fixture, string? tag)
    {
        switch (fixture)
        {
            case IndexFixture index:
                foreach (var image in index.Images)
                {
                    await PushAsync(repository, image, null);
                }

                await PutManifestAsync(repository, tag ?? index.Manifest.Digest, index.Manifest);
                break;
            case ImageFixture image:
                foreach (var blob in (Blob[])[image.Config, .. image.Layers])
                {
                    await PushBlobAsync(repository, blob);
                }

                await PutManifestAsync(repository, tag ?? image.Manifest.Digest, image.Manifest);
                break;
            case ArtifactFixture artifact:
                foreach (var blob in (Blob[])[artifact.Config, .. artifact.Layers])
                {
                    await PushBlobAsync(repository, blob);
                }

                await PutManifestAsync(repository, tag ?? artifact.Manifest.Digest, artifact.Manifest);
                break;
            default:
                throw new ArgumentException($"cannot push {fixture.GetType().Name}", nameof(fixture));
        }
    }

    public async Task PushBlobAsync(string repository, Blob blob)
    {
        using var start = await registry.PostAsync(new Uri($"v2/{repository}/blobs/uploads/", UriKind.Relative), null);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, $"upload start in {repository}: {(int)start.StatusCode} {await start.Content.ReadAsStringAsync()}");
        var location = start.Headers.Location!.OriginalString;
        var separator = location.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var content = new ByteArrayContent(blob.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await registry.PutAsync(new Uri($"{location}{separator}digest={blob.Digest}", UriKind.RelativeOrAbsolute), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"blob PUT in {repository}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    /// <summary>Puts a manifest by tag or digest; <paramref name="extraTags"/> become <c>?tag=</c> parameters (one transaction).</summary>
    public async Task PutManifestAsync(string repository, string reference, Blob manifest, IEnumerable<string>? extraTags = null)
    {
        var query = extraTags is null ? "" : "?" + string.Join("&", extraTags.Select(t => "tag=" + t));
        using var content = new ByteArrayContent(manifest.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        using var put = await registry.PutAsync(new Uri($"v2/{repository}/manifests/{reference}{query}", UriKind.Relative), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"manifest PUT {repository}:{reference}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await api.SendAsync(request);
    }

    public async Task ApiAsync(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        using var response = await SendAsync(method, path, body);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
