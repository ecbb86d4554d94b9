using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Berth.Mirror.Tests.Support;

namespace Berth.Mirror.Tests;

/// <summary>One origin, the proxy counting what reaches it, and one mirror of it: unnamed (every name) and as origin.test.</summary>
public sealed class MirrorPullFixture : IAsyncLifetime
{
    public RegistryServer OriginServer { get; private set; } = null!;

    public CountingForwarder Upstream { get; private set; } = null!;

    public RegistryServer Mirror { get; private set; } = null!;

    public Origin Origin { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        OriginServer = await RegistryServer.StartAsync();
        Upstream = await CountingForwarder.StartAsync(OriginServer.BaseUri);
        Mirror = await RegistryServer.StartAsync(extraArgs:
        [
            "--mirror", Upstream.Url, "--mirror", $"origin.test={Upstream.Url}",
            "--Berth:Mirrors:cli0:TagTtl", "00:00:02", "--Berth:Mirrors:cli1:TagTtl", "00:00:02",
        ]);
        Origin = new Origin(OriginServer);
        Http = Pull.Client(Mirror);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        Origin.Dispose();
        await Mirror.DisposeAsync();
        await Upstream.DisposeAsync();
        await OriginServer.DisposeAsync();
    }
}

/// <summary>Pulls through a mirror Berth: the origin's exact bytes, routing by name, ?ns= and path prefix, pushes refused, one fetch per blob.</summary>
public sealed class MirrorPullTests(MirrorPullFixture site) : IClassFixture<MirrorPullFixture>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Pull_by_tag_and_digest_gives_the_origins_manifest_and_blobs()
    {
        var image = new ImageFactory().CreateImage(layers: 2);
        var repository = $"team/{NewName("app")}";
        await site.Origin.PushAsync(repository, image, "v1");

        using var byTag = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, byTag.StatusCode);
        var manifest = await byTag.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(manifest));
        Assert.Equal(image.Manifest.Digest, Pull.Header(byTag, "Docker-Content-Digest"));
        Assert.Equal(image.Manifest.MediaType, byTag.Content.Headers.ContentType?.MediaType);

        using var byDigest = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/{image.Manifest.Digest}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(await byDigest.Content.ReadAsByteArrayAsync()));

        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            using var head = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{blob.Digest}", "HEAD");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(blob.Size, head.Content.Headers.ContentLength);
            using var get = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{blob.Digest}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(blob.Digest, Pull.Sha256(await get.Content.ReadAsByteArrayAsync()));
        }

        // Second time round everything is in the cache: no further GET of any blob reaches the origin.
        foreach (var blob in image.Layers)
        {
            using var again = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{blob.Digest}");
            Assert.Equal(blob.Digest, Pull.Sha256(await again.Content.ReadAsByteArrayAsync()));
            Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
        }

        using var unknown = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("MANIFEST_UNKNOWN", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ns_parameter_and_path_prefix_both_reach_the_named_upstream_and_store_under_its_name()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"library/{NewName("tool")}";
        await site.Origin.PushAsync(repository, image, "1.0");

        // containerd: /v2/<repository>/…?ns=origin.test
        using var viaNs = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/1.0?ns=origin.test");
        Assert.Equal(HttpStatusCode.OK, viaNs.StatusCode);
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(await viaNs.Content.ReadAsByteArrayAsync()));
        using var layer = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{image.Layers[0].Digest}?ns=origin.test");
        Assert.Equal(image.Layers[0].Digest, Pull.Sha256(await layer.Content.ReadAsByteArrayAsync()));

        // Stored as origin.test/<repository>: the path prefix finds the same cached copy without asking the origin.
        var manifestGets = site.Upstream.Count("GET", $"/v2/{repository}/manifests/1.0");
        using var viaPrefix = await Pull.GetAsync(site.Http, $"/v2/origin.test/{repository}/manifests/1.0");
        Assert.Equal(HttpStatusCode.OK, viaPrefix.StatusCode);
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(await viaPrefix.Content.ReadAsByteArrayAsync()));
        Assert.Equal(manifestGets, site.Upstream.Count("GET", $"/v2/{repository}/manifests/1.0"));
        using var tags = await site.Http.GetAsync($"/v2/origin.test/{repository}/tags/list");
        Assert.Contains("\"1.0\"", await tags.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Counted per upstream for Prometheus: the fetches above were misses of origin.test, the second pull a hit.
        var metrics = await site.Http.GetStringAsync("/metrics");
        Assert.Matches("""berth_mirror_requests_total\{upstream="origin.test",outcome="miss"\} [1-9]""", metrics);
        Assert.Matches("""berth_mirror_requests_total\{upstream="origin.test",outcome="hit"\} [1-9]""", metrics);
        Assert.Matches("""berth_mirror_fetched_bytes_total\{upstream="origin.test"\} [1-9]""", metrics);

        // One-component names at a named upstream keep their name (no official prefix configured here).
        using var missing = await Pull.GetAsync(site.Http, $"/v2/origin.test/{NewName("absent")}/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Pushes_and_deletes_in_mirrored_repositories_are_denied()
    {
        var repository = $"team/{NewName("push")}";
        foreach (var (method, path) in new[]
        {
            ("POST", $"/v2/{repository}/blobs/uploads/"),
            ("POST", $"/v2/origin.test/{repository}/blobs/uploads/?mount=sha256:{new string('a', 64)}&from=other"),
            ("PUT", $"/v2/{repository}/manifests/latest"),
            ("DELETE", $"/v2/{repository}/manifests/sha256:{new string('b', 64)}"),
            ("DELETE", $"/v2/{repository}/blobs/sha256:{new string('c', 64)}"),
            ("PUT", $"/v2/{repository}/manifests/latest?ns=origin.test"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent([]) };
            using var response = await site.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {body}");
            Assert.Contains("DENIED", body, StringComparison.Ordinal);
            Assert.Contains("pull-through mirror", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sixteen_concurrent_cold_gets_of_one_blob_reach_the_origin_once()
    {
        var repository = $"team/{NewName("herd")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17));
        await site.Origin.PushBlobAsync(repository, blob);
        site.Upstream.BlobChunkDelay = TimeSpan.FromMilliseconds(5);
        try
        {
            using var clients = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = site.Mirror.BaseUri };
            var gets = Enumerable.Range(0, 16).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{blob.Digest}");
                if (i % 4 == 3)
                {
                    // Some ask for a range of a blob that is still being fetched.
                    request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
                }

                using var response = await clients.SendAsync(request);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                return (i, response.StatusCode, bytes);
            }).ToList();
            foreach (var (i, status, bytes) in await Task.WhenAll(gets))
            {
                if (i % 4 == 3)
                {
                    Assert.Equal(HttpStatusCode.PartialContent, status);
                    Assert.Equal(blob.Bytes.AsSpan(1000, 1000).ToArray(), bytes);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, status);
                    Assert.Equal(blob.Digest, Pull.Sha256(bytes));
                }
            }
        }
        finally
        {
            site.Upstream.BlobChunkDelay = TimeSpan.Zero;
        }

        Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
    }

    [Fact]
    public async Task A_client_leaving_mid_blob_leaves_a_complete_verified_cache_entry()
    {
        var repository = $"team/{NewName("gone")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(2 * 1024 * 1024));
        await site.Origin.PushBlobAsync(repository, blob);
        site.Upstream.BlobChunkDelay = TimeSpan.FromMilliseconds(10);
        try
        {
            using (var leaving = new HttpClient { BaseAddress = site.Mirror.BaseUri })
            using (var response = await leaving.GetAsync($"/v2/{repository}/blobs/{blob.Digest}", HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await using var body = await response.Content.ReadAsStreamAsync();
                var first = new byte[64 * 1024];
                await body.ReadExactlyAsync(first);
                Assert.Equal(blob.Bytes.AsSpan(0, first.Length).ToArray(), first);
            }

            // The client is gone; the fetch goes on to its commit (bounded poll of the mirror's database).
            var clock = Stopwatch.StartNew();
            while (!await LinkedAsync(repository, blob))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the fetch the client left was not committed within 20 s");
                await Task.Delay(100);
            }
        }
        finally
        {
            site.Upstream.BlobChunkDelay = TimeSpan.Zero;
        }

        // Served from the cache, verified bytes; the origin saw the one GET the leaving client started.
        using var again = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{blob.Digest}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(blob.Digest, Pull.Sha256(await again.Content.ReadAsByteArrayAsync()));
        Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_digest_are_never_cached_nor_completed_to_the_client()
    {
        var repository = $"team/{NewName("corrupt")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(300_000));
        await site.Origin.PushBlobAsync(repository, blob);
        site.Upstream.Mode = UpstreamMode.CorruptBlobs;
        try
        {
            // The body is cut short (its last piece held back until verified): the client never gets all the bytes.
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var response = await site.Http.GetAsync($"/v2/{repository}/blobs/{blob.Digest}");
                response.EnsureSuccessStatusCode();
                var bytes = await response.Content.ReadAsByteArrayAsync();
                Assert.Fail($"the client got {bytes.Length} bytes of corrupt content with a success");
            });
        }
        finally
        {
            site.Upstream.Mode = UpstreamMode.Forward;
        }

        Assert.False(await LinkedAsync(repository, blob));
        using var good = await Pull.GetAsync(site.Http, $"/v2/{repository}/blobs/{blob.Digest}");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(blob.Digest, Pull.Sha256(await good.Content.ReadAsByteArrayAsync()));
        Assert.Equal(2, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
    }

    [Fact]
    public async Task A_tag_moved_at_the_origin_is_seen_after_the_ttl_and_not_before()
    {
        var factory = new ImageFactory();
        var first = factory.CreateImage(layers: 1);
        var second = factory.CreateImage(layers: 1);
        var repository = $"team/{NewName("moving")}";
        await site.Origin.PushAsync(repository, first, "stable");

        // The second image is in place before the clock starts, so moving the tag within the TTL is one manifest PUT.
        await site.Origin.PushAsync(repository, second, "next");
        using (var cached = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/stable"))
        {
            Assert.Equal(first.Manifest.Digest, Pull.Header(cached, "Docker-Content-Digest"));
        }

        var cachedAt = Stopwatch.StartNew();
        await site.Origin.TagAsync(repository, second, "stable");
        using (var within = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/stable"))
        {
            // Within the 2 s TTL (asserted: a slow machine must not make this pass for the wrong reason).
            Assert.True(cachedAt.Elapsed < TimeSpan.FromSeconds(1.5), $"took {cachedAt.Elapsed}");
            Assert.Equal(first.Manifest.Digest, Pull.Header(within, "Docker-Content-Digest"));
        }

        Assert.Equal(0, site.Upstream.Count("HEAD", $"/v2/{repository}/manifests/stable"));
        await Task.Delay(TimeSpan.FromSeconds(2.2) - cachedAt.Elapsed);
        using var after = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/stable");
        Assert.Equal(second.Manifest.Digest, Pull.Header(after, "Docker-Content-Digest"));
        Assert.Equal(second.Manifest.Digest, Pull.Sha256(await after.Content.ReadAsByteArrayAsync()));
        Assert.Equal(1, site.Upstream.Count("HEAD", $"/v2/{repository}/manifests/stable"));
    }

    /// <summary>Whether the mirror's database links the blob into the repository (the fetch's commit).</summary>
    private async Task<bool> LinkedAsync(string repository, Blob blob) =>
        Convert.ToInt64(await ServerDatabase.ScalarAsync(site.Mirror,
            """SELECT COUNT(*) FROM "repository_blobs" AS l JOIN "repositories" AS r ON r."Id" = l."RepositoryId" WHERE r."Name" = @p0 AND l."Digest" = @p1""",
            repository, blob.Digest), System.Globalization.CultureInfo.InvariantCulture) == 1;
}
