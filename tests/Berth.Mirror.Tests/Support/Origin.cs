using System.Net.Http.Headers;
using Berth.Client.Auth;
using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Mirror.Tests.Support;

/// <summary>Pushes test images into an origin registry through Berth.Client (with credentials when it needs them).</summary>
public sealed class Origin(RegistryServer server, RegistryCredentials? credentials = null) : IDisposable
{
    private readonly IRegistryClientFactory _clients = RegistryClients.Create(new RegistryClientOptions
    {
        Credentials = credentials is null ? AnonymousCredentialProvider.Instance : new StaticCredentialProvider(server.HostPort, credentials),
    });

    public RegistryServer Server { get; } = server;

    private IRegistryClient Client => _clients.ForRegistry(Server.HostPort);

    /// <summary>Pushes every blob of <paramref name="image"/> and its manifest under <paramref name="tag"/>.</summary>
    public async Task PushAsync(string repository, IManifestFixture image, string tag)
    {
        // A streamed body cannot be sent twice: learn how the registry authenticates before the first upload.
        await Client.PingAsync(CancellationToken.None);
        foreach (var blob in image.AllContent.Where(b => b != image.Manifest).DistinctBy(b => b.Digest))
        {
            var digest = Digest.Parse(blob.Digest);
            using var body = new MemoryStream(blob.Bytes);
            if (await Client.PostBlobAsync(repository, digest, body, blob.Size, CancellationToken.None) is { } location)
            {
                using var rest = new MemoryStream(blob.Bytes);
                await Client.CompleteUploadAsync(repository, location, digest, rest, blob.Size, CancellationToken.None);
            }
        }

        await Client.PutManifestAsync(repository, tag, new ManifestBlob(image.Manifest.Bytes, image.Manifest.MediaType, Digest.Parse(image.Manifest.Digest)), CancellationToken.None);
    }

    /// <summary>Points <paramref name="tag"/> at <paramref name="image"/>, whose blobs the repository already holds: one manifest PUT.</summary>
    public async Task TagAsync(string repository, IManifestFixture image, string tag)
    {
        await Client.PingAsync(CancellationToken.None);
        await Client.PutManifestAsync(repository, tag, new ManifestBlob(image.Manifest.Bytes, image.Manifest.MediaType, Digest.Parse(image.Manifest.Digest)), CancellationToken.None);
    }

    /// <summary>Pushes one blob alone (no manifest names it).</summary>
    public async Task PushBlobAsync(string repository, Blob blob)
    {
        await Client.PingAsync(CancellationToken.None);
        var digest = Digest.Parse(blob.Digest);
        using var body = new MemoryStream(blob.Bytes);
        if (await Client.PostBlobAsync(repository, digest, body, blob.Size, CancellationToken.None) is { } location)
        {
            using var rest = new MemoryStream(blob.Bytes);
            await Client.CompleteUploadAsync(repository, location, digest, rest, blob.Size, CancellationToken.None);
        }
    }

    public void Dispose() => _clients.Dispose();
}

/// <summary>Plain requests to the mirror, as a client without credentials makes them.</summary>
public static class Pull
{
    public static readonly string Accept = string.Join(", ",
        "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json");

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string method = "GET")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.ParseAdd(Accept);
        return await http.SendAsync(request);
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.First()
        : response.Content.Headers.TryGetValues(name, out var content) ? content.First() : null;

    public static string Sha256(byte[] bytes) => Blob.Sha256Digest(bytes);

    public static HttpClient Client(RegistryServer server) =>
        new() { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60), DefaultRequestHeaders = { } };

    public static MediaTypeWithQualityHeaderValue OctetStream => new("application/octet-stream");
}
