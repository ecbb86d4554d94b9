using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Postgres.Tests.Support;

/// <summary>The smallest image (one config blob, no layers), pushed over the distribution API.</summary>
public static class Images
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>Pushes an image whose config holds <paramref name="seed"/> to <paramref name="repository"/>:<paramref name="tag"/>; its manifest digest.</summary>
    public static async Task<string> PushAsync(HttpClient http, string repository, string tag, string seed = "")
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","seed":"{{seed}}"}""");
        var configDigest = Digest(config);
        using (var start = await http.PostAsync(new Uri($"v2/{repository}/blobs/uploads/", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            var location = start.Headers.Location!;
            var separator = location.OriginalString.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            using var content = new ByteArrayContent(config);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await http.PutAsync(new Uri($"{location.OriginalString}{separator}digest={configDigest}", UriKind.RelativeOrAbsolute), content);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(),
        }.ToJsonString());
        await PutManifestAsync(http, repository, tag, manifest);
        return Digest(manifest);
    }

    public static async Task PutManifestAsync(HttpClient http, string repository, string tag, byte[] manifest)
    {
        using var body = new ByteArrayContent(manifest);
        body.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
        using var response = await http.PutAsync(new Uri($"v2/{repository}/manifests/{tag}", UriKind.Relative), body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT manifest {repository}:{tag}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static HttpClient Client(Uri baseUri) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
}
