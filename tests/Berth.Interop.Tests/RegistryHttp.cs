using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>A manifest as a registry served it.</summary>
public sealed record ManifestResponse(HttpStatusCode Status, string? ContentType, string? Digest, byte[] Bytes);

/// <summary>
/// Plain HTTP access to a registry, to check what the CLI tools stored (bytes, headers) and to push what they cannot
/// (artifacts with a subject). Deliberately minimal: the conformance suite covers the protocol in depth.
/// </summary>
public sealed class RegistryHttp : IDisposable
{
    private static readonly string[] ManifestTypes =
    [
        MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList,
    ];

    private readonly HttpClient _http;

    public RegistryHttp(RegistryServer server, string? user = null, string? password = null)
    {
        _http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (user is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
    }

    public async Task<ManifestResponse> GetManifestAsync(string repo, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repo}/manifests/{reference}");
        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var response = await _http.SendAsync(request);
        return new ManifestResponse(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.First() : null,
            await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>GET the manifest and assert it is exactly <paramref name="expected"/> (bytes, digest, media type).</summary>
    public async Task AssertManifestAsync(string repo, string reference, Blob expected)
    {
        var got = await GetManifestAsync(repo, reference);
        Assert.True(got.Status == HttpStatusCode.OK, $"GET manifest {repo}:{reference} → {(int)got.Status}: {Encoding.UTF8.GetString(got.Bytes)}");
        Assert.Equal(expected.MediaType, got.ContentType);
        Assert.Equal(expected.Digest, got.Digest);
        Assert.Equal(expected.Digest, Blob.Sha256Digest(got.Bytes));
        Assert.Equal(expected.Bytes, got.Bytes);
    }

    public async Task<(HttpStatusCode Status, byte[] Bytes)> GetBlobAsync(string repo, string digest)
    {
        using var response = await _http.GetAsync($"v2/{repo}/blobs/{digest}");
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>GET every blob and assert its bytes.</summary>
    public async Task AssertBlobsAsync(string repo, IEnumerable<Blob> blobs)
    {
        foreach (var blob in blobs)
        {
            var (status, bytes) = await GetBlobAsync(repo, blob.Digest);
            Assert.True(status == HttpStatusCode.OK, $"GET blob {repo}@{blob.Digest} → {(int)status}");
            Assert.Equal(blob.Bytes, bytes);
        }
    }

    /// <summary>Uploads a blob: POST a session, PUT the bytes with ?digest= (the monolithic two-step form).</summary>
    public async Task PushBlobAsync(string repo, Blob blob)
    {
        using var start = await _http.PostAsync($"v2/{repo}/blobs/uploads/", new ByteArrayContent([]));
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, $"POST upload {repo} → {(int)start.StatusCode}: {await start.Content.ReadAsStringAsync()}");
        var location = new Uri(_http.BaseAddress!, start.Headers.Location!);
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var content = new ByteArrayContent(blob.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var finish = await _http.PutAsync(new Uri(location + separator + "digest=" + Uri.EscapeDataString(blob.Digest)), content);
        Assert.True(finish.StatusCode == HttpStatusCode.Created, $"PUT upload {blob.Digest} → {(int)finish.StatusCode}: {await finish.Content.ReadAsStringAsync()}");
    }

    /// <summary>PUTs a manifest (Content-Type = its media type) and returns the response for header checks.</summary>
    public async Task<HttpResponseMessage> PutManifestAsync(string repo, string reference, Blob manifest)
    {
        var content = new ByteArrayContent(manifest.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        return await _http.PutAsync($"v2/{repo}/manifests/{reference}", content);
    }

    /// <summary>Pushes every blob of an image or artifact, then its manifest; asserts 201.</summary>
    public async Task<HttpResponseMessage> PushAsync(string repo, string reference, IManifestFixture fixture)
    {
        var manifests = new HashSet<string>(StringComparer.Ordinal) { fixture.Manifest.Digest };
        if (fixture is IndexFixture index)
        {
            manifests.UnionWith(index.Images.Select(i => i.Manifest.Digest));
        }

        foreach (var blob in fixture.AllContent.Where(b => !manifests.Contains(b.Digest)).DistinctBy(b => b.Digest))
        {
            await PushBlobAsync(repo, blob);
        }

        if (fixture is IndexFixture children)
        {
            foreach (var image in children.Images)
            {
                using var child = await PutManifestAsync(repo, image.Manifest.Digest, image.Manifest);
                Assert.Equal(HttpStatusCode.Created, child.StatusCode);
            }
        }

        var response = await PutManifestAsync(repo, reference, fixture.Manifest);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"PUT manifest {repo}:{reference} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    /// <summary>GET /v2/&lt;repo&gt;/referrers/&lt;digest&gt;[?artifactType=].</summary>
    public async Task<(HttpStatusCode Status, string? ContentType, string? FiltersApplied, JsonNode? Body)> GetReferrersAsync(
        string repo, string digest, string? artifactType = null)
    {
        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        using var response = await _http.GetAsync($"v2/{repo}/referrers/{digest}{query}");
        var text = await response.Content.ReadAsStringAsync();
        return (
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.TryGetValues("OCI-Filters-Applied", out var f) ? string.Join(",", f) : null,
            response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(text) : null);
    }

    public void Dispose() => _http.Dispose();
}
