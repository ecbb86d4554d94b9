using System.Net;
using System.Net.Http.Headers;
using Berth.Conformance.Tests.Support;
using Berth.Testing;

namespace Berth.Conformance.Tests;

/// <summary>
/// One s3rver and two berth-servers storing in its bucket: one redirecting blob GETs to presigned URLs, one streaming
/// them (under a key prefix of its own).
/// </summary>
public sealed class S3RegistryFixture : IAsyncLifetime
{
    private S3rver? _s3;
    private RegistryServer? _redirecting;
    private RegistryServer? _streaming;

    public S3rver S3 => _s3 ?? throw new InvalidOperationException("not started");

    public RegistryServer Redirecting => _redirecting ?? throw new InvalidOperationException("not started");

    public RegistryServer Streaming => _streaming ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _s3 = await S3rver.StartAsync();
        _redirecting = await RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: _s3.ServerArgs(redirect: true));
        _streaming = await RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: [.. _s3.ServerArgs(), "--s3-prefix", "streaming"]);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _redirecting, _streaming })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }
}

/// <summary>Pushes and pulls through berth-server with <c>--storage s3</c> against a real s3rver.</summary>
public sealed class S3StorageTests(S3RegistryFixture fixture) : IClassFixture<S3RegistryFixture>
{
    private const int MiB = 1024 * 1024;

    /// <summary>Pushes a 13 MiB layer in PATCH chunks that straddle the driver's 8 MiB parts, then its image.</summary>
    private static async Task<(string Repo, Blob Layer, Image Image)> PushChunkedImageAsync(RegistryApi api, string name)
    {
        var repo = Repo.New(name);
        var layer = Blob.Random((13 * MiB) + 5);
        var session = await api.StartUploadAsync(repo);
        var cuts = new[] { 0, 1, 3 * MiB, (12 * MiB) + 7, layer.Bytes.Length };
        for (var i = 0; i < cuts.Length - 1; i++)
        {
            using var patch = await api.PatchAsync(session, layer.Bytes[cuts[i]..cuts[i + 1]], $"{cuts[i]}-{cuts[i + 1] - 1}");
            await Check.StatusAsync(patch, HttpStatusCode.Accepted);
            Assert.Equal(cuts[i + 1] - 1, Check.UploadOffset(patch));
            session = Check.Location(patch);
        }

        using (var put = await api.PutUploadAsync(session, layer.Digest))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
        }

        var config = Blob.Config();
        await api.PushBlobAsync(repo, config);
        var manifest = Build.OciManifest(config, [layer]);
        await api.PushManifestAsync(repo, "v1", manifest);
        return (repo, layer, new Image(config, [layer], manifest));
    }

    [Fact]
    public async Task A_chunked_push_pulls_back_through_a_presigned_redirect_with_equal_digests()
    {
        using var http = RegistryFixture.CreateClient(fixture.Redirecting.BaseUri);
        var api = new RegistryApi(http);
        var (repo, layer, image) = await PushChunkedImageAsync(api, "s3-redirect");

        using (var manifest = await api.GetManifestAsync(repo, "v1"))
        {
            await Check.StatusAsync(manifest, HttpStatusCode.OK);
            Assert.Equal(image.Manifest.Digest, Digests.Sha256(await manifest.Content.ReadAsByteArrayAsync()));
        }

        using var get = await api.GetBlobAsync(repo, layer.Digest);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, get.StatusCode);
        var location = get.Headers.Location ?? throw new InvalidOperationException("307 without Location");
        Assert.Equal(fixture.S3.Port, location.Port);

        // The client follows the redirect to the store itself, with no registry credentials.
        using var plain = new HttpClient();
        var bytes = await plain.GetByteArrayAsync(location);
        Assert.Equal(layer.Digest, Digests.Sha256(bytes));

        // A range is not redirected: the registry streams it from the store.
        using var ranged = await api.SendAsync(HttpMethod.Get, $"v2/{repo}/blobs/{layer.Digest}", configure: r => r.Headers.Range = new RangeHeaderValue(9 * MiB, (10 * MiB) - 1));
        await Check.StatusAsync(ranged, HttpStatusCode.PartialContent);
        Assert.Equal(layer.Bytes[(9 * MiB)..(10 * MiB)], await ranged.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Without_redirect_blobs_stream_through_the_registry_with_equal_digests()
    {
        using var http = RegistryFixture.CreateClient(fixture.Streaming.BaseUri);
        var api = new RegistryApi(http);
        var (repo, layer, image) = await PushChunkedImageAsync(api, "s3-stream");

        foreach (var blob in image.Blobs)
        {
            using var get = await api.GetBlobAsync(repo, blob.Digest);
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blob.Digest, Digests.Sha256(await get.Content.ReadAsByteArrayAsync()));
        }

        using var tail = await api.SendAsync(HttpMethod.Get, $"v2/{repo}/blobs/{layer.Digest}", configure: r => r.Headers.Range = new RangeHeaderValue(layer.Size - 10, null));
        await Check.StatusAsync(tail, HttpStatusCode.PartialContent);
        Assert.Equal(layer.Bytes[^10..], await tail.Content.ReadAsByteArrayAsync());

        // Stored under the prefix, in the one bucket both registries share.
        Assert.True(Directory.Exists(Path.Combine(fixture.S3.DataDirectory, fixture.S3.Bucket, "streaming", "blobs")), "no blobs under the key prefix");
    }

    [Fact]
    public async Task A_cancelled_chunked_upload_leaves_no_unfinished_writer_in_the_bucket()
    {
        using var http = RegistryFixture.CreateClient(fixture.Streaming.BaseUri);
        var api = new RegistryApi(http);
        var repo = Repo.New("s3-cancel");
        var session = await api.StartUploadAsync(repo);
        var id = session.Segments[^1].TrimEnd('/');
        using (var patch = await api.PatchAsync(session, Blob.Random((9 * MiB) + 3).Bytes, null))
        {
            await Check.StatusAsync(patch, HttpStatusCode.Accepted);
            session = Check.Location(patch);
        }

        var writers = Path.Combine(fixture.S3.DataDirectory, fixture.S3.Bucket, "streaming", ".writers", "uploads", id);
        Assert.True(Directory.Exists(writers), "a suspended upload keeps its tail and marker under .writers/");

        using (var cancel = await api.DeleteAsync(session.PathAndQuery.TrimStart('/')))
        {
            await Check.StatusAsync(cancel, HttpStatusCode.NoContent);
        }

        Assert.Empty(Directory.Exists(writers) ? Directory.EnumerateFiles(writers, "*", SearchOption.AllDirectories) : []);
    }
}

/// <summary>A wrong S3 setting stops berth-server at start with one line naming it.</summary>
public sealed class S3ConfigurationTests
{
    [Theory]
    [InlineData("--s3-access-key k --s3-secret-key s", "--storage s3 needs --s3-bucket NAME")]
    [InlineData("--s3-bucket b", "--storage s3 needs --s3-access-key and --s3-secret-key")]
    [InlineData("--s3-bucket b --s3-access-key k --s3-secret-key s --s3-endpoint ftp://x", "--s3-endpoint 'ftp://x' is not an absolute http(s) URL")]
    [InlineData("--s3-bucket a/b --s3-access-key k --s3-secret-key s", "--s3-bucket 'a/b' is not a bucket name")]
    public async Task Missing_or_invalid_s3_options_are_refused_at_start(string options, string message)
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: ["--storage", "s3", .. options.Split(' ')]));
        Assert.Contains("berth-server: " + message, failure.Message, StringComparison.Ordinal);
    }
}
