using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.Gc;

/// <summary>An image as pushed here: a config and layers (each blob's bytes by digest) and its manifest.</summary>
public sealed record PushedImage(string Repository, string Tag, string ManifestDigest, byte[] Manifest, IReadOnlyDictionary<string, byte[]> Blobs);

/// <summary>
/// The garbage-collection tests' view of one Berth (<c>--auth none</c> on <c>/v2</c>, an admin for the API): raw OCI
/// requests for pushes that upload, mount or only re-reference a blob, pulls checked byte for byte, and the collector
/// driven through <c>POST /api/v1/gc</c> or the <c>berth-server gc</c> command.
/// </summary>
public sealed class GcRegistry(Site site)
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    public Site Site => site;

    private HttpClient Http => site.Http;

    public static byte[] RandomBlob(int size) => RandomNumberGenerator.GetBytes(size);

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>One POST carrying the whole blob; the status (201, or the refusal).</summary>
    public async Task<HttpStatusCode> UploadAsync(string repository, byte[] blob)
    {
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await Http.PostAsync($"v2/{repository}/blobs/uploads/?digest={DigestOf(blob)}", content);
        return response.StatusCode;
    }

    /// <summary>A cross-repository mount: 201 when linked, 202 when the source lacked it (the session is cancelled).</summary>
    public async Task<HttpStatusCode> MountAsync(string repository, string from, string digest)
    {
        using var response = await Http.PostAsync($"v2/{repository}/blobs/uploads/?mount={digest}&from={from}", null);
        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location)
        {
            using var cancel = await Http.DeleteAsync(location);
        }

        return response.StatusCode;
    }

    public async Task<bool> BlobLinkedAsync(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}");
        using var response = await Http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK;
    }

    public static byte[] ManifestOf(byte[] config, IEnumerable<byte[]> layers)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", l))]),
        };
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    public async Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] manifest)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
        return await Http.PutAsync($"v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>Uploads every blob, then puts the manifest under <paramref name="tag"/>; throws unless all succeed.</summary>
    public async Task<PushedImage> PushAsync(string repository, string tag, byte[] config, params byte[][] layers)
    {
        foreach (var blob in layers.Prepend(config))
        {
            Assert.Equal(HttpStatusCode.Created, await UploadAsync(repository, blob));
        }

        var manifest = ManifestOf(config, layers);
        using var put = await PutManifestAsync(repository, tag, manifest);
        await Expect.StatusAsync(put, HttpStatusCode.Created);
        return Pushed(repository, tag, manifest, config, layers);
    }

    public static PushedImage Pushed(string repository, string tag, byte[] manifest, byte[] config, IEnumerable<byte[]> layers) =>
        new(repository, tag, DigestOf(manifest), manifest, layers.Prepend(config).DistinctBy(DigestOf).ToDictionary(DigestOf, b => b));

    /// <summary>Pulls the image by tag: the manifest and every blob it names, each the bytes pushed. Null when it pulls; else what failed.</summary>
    public async Task<string?> PullFailureAsync(PushedImage image)
    {
        using var manifest = await Http.GetAsync($"v2/{image.Repository}/manifests/{image.Tag}");
        if (manifest.StatusCode != HttpStatusCode.OK)
        {
            return $"{image.Repository}:{image.Tag} manifest {(int)manifest.StatusCode}";
        }

        if (DigestOf(await manifest.Content.ReadAsByteArrayAsync()) != image.ManifestDigest)
        {
            return $"{image.Repository}:{image.Tag} manifest digest differs";
        }

        foreach (var (digest, bytes) in image.Blobs)
        {
            using var blob = await Http.GetAsync($"v2/{image.Repository}/blobs/{digest}");
            if (blob.StatusCode != HttpStatusCode.OK)
            {
                return $"{image.Repository} blob {digest}: {(int)blob.StatusCode}";
            }

            var body = await blob.Content.ReadAsByteArrayAsync();
            if (body.Length != bytes.Length || DigestOf(body) != digest)
            {
                return $"{image.Repository} blob {digest}: other bytes ({body.Length} of {bytes.Length})";
            }
        }

        return null;
    }

    public async Task DeleteManifestAsync(string repository, string digest)
    {
        using var response = await Http.DeleteAsync($"v2/{repository}/manifests/{digest}");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NotFound, $"DELETE manifest: {(int)response.StatusCode}");
    }

    /// <summary>One pass through the admin API; its report.</summary>
    public async Task<JsonNode> RunGcAsync(bool dryRun = false, string grace = "0s")
    {
        using var response = await site.Admin.SendAsync(HttpMethod.Post, $"api/v1/gc?grace={grace}&dryRun={(dryRun ? "true" : "false")}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /api/v1/gc: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary><c>berth-server gc ARGS</c> against this server's database and storage, as an operator would run it beside it.</summary>
    public async Task<CliResult> RunGcCommandAsync(params string[] args)
    {
        var dataDir = site.Server.DataDir;
        List<string> all = ["gc", .. args, "--data-dir", dataDir];
        if (TestPostgres.Enabled)
        {
            all.AddRange(["--database", "postgres", "--connection-string", TestPostgres.ConnectionString(TestPostgres.DatabaseFor(dataDir))]);
        }

        if (TestStorage.S3Enabled)
        {
            all.AddRange(await TestStorage.ServerArgsAsync(dataDir));
        }

        return await ServerCommand.RunAsync(all);
    }

    /// <summary>Blob objects in storage (files or S3 objects under <c>blobs/</c>): count and bytes.</summary>
    public async Task<(int Count, long Bytes)> StoredBlobsAsync()
    {
        var objects = await StoredObjects.Of(site.Server).ListAsync("blobs");
        return (objects.Count, objects.Sum(o => o.Size));
    }

    public Task<long?> StoredSizeAsync(string digest) =>
        StoredObjects.Of(site.Server).SizeAsync($"blobs/sha256/{digest[7..9]}/{digest[7..]}/data");

    private static JsonObject Descriptor(string mediaType, byte[] bytes) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = DigestOf(bytes),
        ["size"] = bytes.Length,
    };
}
