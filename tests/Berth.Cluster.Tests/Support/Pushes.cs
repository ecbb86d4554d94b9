using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Cluster.Tests.Support;

/// <summary>Pushes over the distribution API with a client that already carries its credentials.</summary>
public static class Pushes
{
    /// <summary>A monolithic blob upload (POST, then PUT with the bytes); the PUT's response, for the caller to judge.</summary>
    public static async Task<HttpResponseMessage> UploadBlobAsync(HttpClient http, string repo, byte[] blob)
    {
        using var start = await http.PostAsync(new Uri($"v2/{repo}/blobs/uploads/", UriKind.Relative), null);
        if (start.StatusCode != HttpStatusCode.Accepted)
        {
            return CopyOf(start, await start.Content.ReadAsStringAsync());
        }

        var location = start.Headers.Location!;
        var path = location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await http.PutAsync(new Uri($"{path}{separator}digest={Blob.Sha256Digest(blob)}", UriKind.Relative), content);
    }

    /// <summary>The smallest image (one config blob, no layers) as <paramref name="repo"/>:<paramref name="tag"/>; its manifest digest.</summary>
    public static async Task<string> PushImageAsync(HttpClient http, string repo, string tag, string seed)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","seed":"{{seed}}"}""");
        using (var put = await UploadBlobAsync(http, repo, config))
        {
            Assert.True(put.StatusCode == HttpStatusCode.Created, $"config blob: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = MediaTypes.OciConfig, ["digest"] = Blob.Sha256Digest(config), ["size"] = config.Length },
            ["layers"] = new JsonArray(),
        }.ToJsonString());
        using var body = new ByteArrayContent(manifest);
        body.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
        using var response = await http.PutAsync(new Uri($"v2/{repo}/manifests/{tag}", UriKind.Relative), body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT manifest {repo}:{tag}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return Blob.Sha256Digest(manifest);
    }

    private static HttpResponseMessage CopyOf(HttpResponseMessage response, string body) =>
        new(response.StatusCode) { Content = new StringContent(body) };
}
