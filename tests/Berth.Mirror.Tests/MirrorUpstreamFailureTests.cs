using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Berth.Client.Auth;
using Berth.Mirror.Tests.Support;

namespace Berth.Mirror.Tests;

/// <summary>
/// An origin with token auth and a private repository, the proxy in front of it, and a mirror holding credentials for
/// it, reached as origin.test (other names stay local). Tag TTL 1 s, so a cached tag is soon due for revalidation; a
/// client that starts a fetch and keeps it waiting on one write for 2 s is detached from it.
/// </summary>
public sealed class MirrorUpstreamFixture : IAsyncLifetime
{
    public const string AdminPassword = "Adm1nPassw0rd!";

    public RegistryServer OriginServer { get; private set; } = null!;

    public CountingForwarder Upstream { get; private set; } = null!;

    public RegistryServer Mirror { get; private set; } = null!;

    public Origin Origin { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        OriginServer = await RegistryServer.StartAsync(extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        Upstream = await CountingForwarder.StartAsync(OriginServer.BaseUri);
        Mirror = await RegistryServer.StartAsync(extraArgs:
        [
            "--mirror", $"origin.test={Upstream.Url}",
            "--Berth:Mirrors:cli0:Username", "admin", "--Berth:Mirrors:cli0:Password", AdminPassword,
            "--Berth:Mirrors:cli0:TagTtl", "00:00:01",
            "--Berth:MirrorStalledClientSeconds", "2",
        ]);
        Origin = new Origin(OriginServer, new RegistryCredentials("admin", AdminPassword));
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

/// <summary>Private upstreams, an upstream that is gone or rate-limits, and the local names beside the mirrored ones.</summary>
public sealed class MirrorUpstreamFailureTests(MirrorUpstreamFixture site) : IClassFixture<MirrorUpstreamFixture>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task A_private_origin_repository_pulls_through_the_mirror_with_its_credentials()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"admin/{NewName("secret")}";
        await site.Origin.PushAsync(repository, image, "v1");
        using (var direct = new HttpClient { BaseAddress = site.OriginServer.BaseUri })
        using (var anonymous = await Pull.GetAsync(direct, $"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var manifest = await Pull.GetAsync(site.Http, $"/v2/origin.test/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(await manifest.Content.ReadAsByteArrayAsync()));
        using var layer = await Pull.GetAsync(site.Http, $"/v2/origin.test/{repository}/blobs/{image.Layers[0].Digest}");
        Assert.Equal(image.Layers[0].Digest, Pull.Sha256(await layer.Content.ReadAsByteArrayAsync()));
        Assert.False(manifest.Headers.Contains("WWW-Authenticate"));
    }

    [Fact]
    public async Task With_the_origin_gone_cached_tags_and_digests_are_served_stale_and_an_uncached_tag_gets_a_clear_error()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"admin/{NewName("gone")}";
        await site.Origin.PushAsync(repository, image, "v1");
        var mirrored = $"/v2/origin.test/{repository}";
        using (var warm = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/v1"))
        using (var warmLayer = await Pull.GetAsync(site.Http, $"{mirrored}/blobs/{image.Layers[0].Digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            Assert.Equal(HttpStatusCode.OK, warmLayer.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(1.1)); // past the tag's TTL: the next pull asks the upstream
        site.Upstream.Mode = UpstreamMode.Down;
        try
        {
            using var stale = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(image.Manifest.Digest, Pull.Sha256(await stale.Content.ReadAsByteArrayAsync()));
            Assert.Contains("110", Pull.Header(stale, "Warning") ?? "", StringComparison.Ordinal);

            using var byDigest = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/{image.Manifest.Digest}");
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
            using var layer = await Pull.GetAsync(site.Http, $"{mirrored}/blobs/{image.Layers[0].Digest}");
            Assert.Equal(image.Layers[0].Digest, Pull.Sha256(await layer.Content.ReadAsByteArrayAsync()));

            using var uncached = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/never-pulled");
            var body = await uncached.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, uncached.StatusCode);
            Assert.Contains("UNAVAILABLE", body, StringComparison.Ordinal);
            Assert.Contains("upstream origin.test is unavailable", body, StringComparison.Ordinal);
        }
        finally
        {
            site.Upstream.Mode = UpstreamMode.Forward;
        }

        // Back: once the short backoff has passed, the tag is revalidated again (no Warning).
        await UntilFreshAsync($"{mirrored}/manifests/v1");
    }

    [Fact]
    public async Task An_origin_answering_429_gets_no_request_before_its_retry_after_and_the_cache_is_served_meanwhile()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"admin/{NewName("busy")}";
        await site.Origin.PushAsync(repository, image, "v1");
        var mirrored = $"/v2/origin.test/{repository}";
        using (var warm = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        site.Upstream.RetryAfterSeconds = 3;
        site.Upstream.Mode = UpstreamMode.TooManyRequests;
        var refusedAt = Stopwatch.StartNew();
        int seen;
        try
        {
            using var first = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Contains("110", Pull.Header(first, "Warning") ?? "", StringComparison.Ordinal);
            seen = site.Upstream.Requests.Count;

            // For the next 2 s (well inside the 3 s asked for) nothing reaches the upstream, and the cache answers.
            while (refusedAt.Elapsed < TimeSpan.FromSeconds(2))
            {
                using var again = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/v1");
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
                Assert.Equal(image.Manifest.Digest, Pull.Sha256(await again.Content.ReadAsByteArrayAsync()));
                using var uncached = await Pull.GetAsync(site.Http, $"{mirrored}/manifests/other");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, uncached.StatusCode);
                await Task.Delay(200);
            }

            Assert.Equal(seen, site.Upstream.Requests.Count);
        }
        finally
        {
            site.Upstream.Mode = UpstreamMode.Forward;
        }

        await UntilFreshAsync($"{mirrored}/manifests/v1");
        Assert.True(refusedAt.Elapsed >= TimeSpan.FromSeconds(2.5), $"asked the upstream again after {refusedAt.Elapsed}");
        Assert.True(site.Upstream.Requests.Count > seen);
    }

    [Fact]
    public async Task Names_outside_the_mirrored_prefix_are_local_repositories_that_take_pushes()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"local/{NewName("own")}";
        using var mirrorAsOrigin = new Origin(site.Mirror);
        await mirrorAsOrigin.PushAsync(repository, image, "v1");
        using var pulled = await Pull.GetAsync(site.Http, $"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.DoesNotContain(site.Upstream.Requests, r => r.Path.Contains(repository, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_pulls_of_a_new_a_moved_and_an_unreachable_tag_all_get_one_consistent_answer()
    {
        // 16 clients at once write the same mirror_tags row (first fetch, then the revalidation that finds the tag
        // moved) and the same mirror_backoffs row (the upstream down): each write is one upsert, so none may fail.
        var first = new ImageFactory().CreateImage(layers: 1);
        var moved = new ImageFactory().CreateImage(layers: 1);
        var repository = $"admin/{NewName("race")}";
        await site.Origin.PushAsync(repository, first, "v1");
        var path = $"/v2/origin.test/{repository}/manifests/v1";
        Assert.All(await ConcurrentlyAsync(path), r => Assert.Equal((HttpStatusCode.OK, first.Manifest.Digest, false), r));

        await site.Origin.PushAsync(repository, moved, "v1");
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // past the TTL: every one of them revalidates
        Assert.All(await ConcurrentlyAsync(path), r => Assert.Equal((HttpStatusCode.OK, moved.Manifest.Digest, false), r));

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        site.Upstream.Mode = UpstreamMode.Down;
        try
        {
            Assert.All(await ConcurrentlyAsync(path), r => Assert.Equal((HttpStatusCode.OK, moved.Manifest.Digest, true), r));
        }
        finally
        {
            site.Upstream.Mode = UpstreamMode.Forward;
        }

        await UntilFreshAsync(path);
    }

    [Fact]
    public async Task A_client_that_starts_a_fetch_and_reads_at_a_trickle_holds_up_neither_the_cache_nor_the_next_client()
    {
        var repository = $"admin/{NewName("stall")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(16 * 1024 * 1024 + 3));
        await site.Origin.PushBlobAsync(repository, blob);
        var path = $"/v2/origin.test/{repository}/blobs/{blob.Digest}";
        site.Upstream.BlobChunkDelay = TimeSpan.FromMilliseconds(2);
        try
        {
            // The first client asks for the blob on a raw connection with a small window and reads 4 KiB every 100 ms:
            // fast enough for Kestrel's minimum data rate, so only the mirror's detach can stop it pacing the fetch
            // (the whole blob at that pace would take some 7 minutes).
            using var stalled = new System.Net.Sockets.TcpClient { ReceiveBufferSize = 4096 };
            await stalled.ConnectAsync(IPAddress.Loopback, site.Mirror.BaseUri.Port);
            var stream = stalled.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {site.Mirror.BaseUri.Authority}\r\n\r\n"));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var trickle = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                try
                {
                    while (await stream.ReadAsync(buffer, stop.Token) > 0)
                    {
                        await Task.Delay(100, stop.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    // Stopped by the test, or detached by the mirror.
                }
            });
            await UntilAsync(() => site.Upstream.Count("GET", path[path.IndexOf("/blobs/", StringComparison.Ordinal)..]) > 0, "the fetch to start");

            // The next client joins the same fetch and gets every byte, long before the slow reader would be done.
            var clock = Stopwatch.StartNew();
            using var second = await Pull.GetAsync(site.Http, path);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(blob.Digest, Pull.Sha256(await second.Content.ReadAsByteArrayAsync()));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the second client waited {clock.Elapsed}");
            await stop.CancelAsync();
            await trickle;
        }
        finally
        {
            site.Upstream.BlobChunkDelay = TimeSpan.Zero;
        }

        // Cached from that one fetch: another GET is served without asking the upstream again.
        using (var cached = await Pull.GetAsync(site.Http, path))
        {
            Assert.Equal(blob.Digest, Pull.Sha256(await cached.Content.ReadAsByteArrayAsync()));
        }

        Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"waited {clock.Elapsed} for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>16 GETs of <paramref name="path"/> at once: status, digest of the body, and whether a Warning came.</summary>
    private async Task<(HttpStatusCode Status, string Digest, bool Stale)[]> ConcurrentlyAsync(string path)
    {
        using var start = new SemaphoreSlim(0);
        var pulls = Enumerable.Range(0, 16).Select(async _ =>
        {
            await start.WaitAsync();
            using var response = await Pull.GetAsync(site.Http, path);
            return (response.StatusCode, Pull.Sha256(await response.Content.ReadAsByteArrayAsync()), Pull.Header(response, "Warning") is not null);
        }).ToList();
        start.Release(16);
        return await Task.WhenAll(pulls);
    }

    /// <summary>Polls (bounded) until the tag is answered without a stale warning: the upstream is asked again.</summary>
    private async Task UntilFreshAsync(string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await Pull.GetAsync(site.Http, path);
            if (response.StatusCode == HttpStatusCode.OK && Pull.Header(response, "Warning") is null)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{path} still stale after {clock.Elapsed}: {(int)response.StatusCode}");
            await Task.Delay(200);
        }
    }
}
