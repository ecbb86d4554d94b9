using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Berth.Mirror.Tests.Support;

namespace Berth.Mirror.Tests;

/// <summary>Two mirror nodes sharing one database and storage (one data directory), in front of one origin.</summary>
public sealed class MirrorClusterFixture : IAsyncLifetime
{
    public RegistryServer OriginServer { get; private set; } = null!;

    public CountingForwarder Upstream { get; private set; } = null!;

    public RegistryServer NodeA { get; private set; } = null!;

    public RegistryServer NodeB { get; private set; } = null!;

    public Origin Origin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        OriginServer = await RegistryServer.StartAsync();
        Upstream = await CountingForwarder.StartAsync(OriginServer.BaseUri);
        NodeA = await RegistryServer.StartAsync(extraArgs: ["--mirror", Upstream.Url]);
        NodeB = await RegistryServer.StartAsync(extraArgs: ["--mirror", Upstream.Url, "--data-dir", NodeA.DataDir]);
        Origin = new Origin(OriginServer);
    }

    public async Task DisposeAsync()
    {
        Origin.Dispose();
        await NodeB.DisposeAsync();
        await NodeA.DisposeAsync();
        await Upstream.DisposeAsync();
        await OriginServer.DisposeAsync();
    }
}

/// <summary>One upstream fetch per digest across nodes: the fetch lease in the shared database, waited for and taken over.</summary>
public sealed class MirrorClusterTests(MirrorClusterFixture site) : IClassFixture<MirrorClusterFixture>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Concurrent_cold_gets_on_two_nodes_reach_the_origin_once()
    {
        var repository = $"team/{NewName("nodes")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5));
        await site.Origin.PushBlobAsync(repository, blob);
        site.Upstream.BlobChunkDelay = TimeSpan.FromMilliseconds(10);
        try
        {
            using var a = new HttpClient { BaseAddress = site.NodeA.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
            using var b = new HttpClient { BaseAddress = site.NodeB.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
            var gets = Enumerable.Range(0, 12).Select(async i =>
            {
                using var response = await (i % 2 == 0 ? a : b).GetAsync($"/v2/{repository}/blobs/{blob.Digest}");
                return (response.StatusCode, Bytes: await response.Content.ReadAsByteArrayAsync());
            });
            foreach (var (status, bytes) in await Task.WhenAll(gets))
            {
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(blob.Digest, Pull.Sha256(bytes));
            }
        }
        finally
        {
            site.Upstream.BlobChunkDelay = TimeSpan.Zero;
        }

        Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));
    }

    [Fact]
    public async Task A_fetch_lease_left_by_a_dead_node_is_waited_for_until_it_lapses_then_taken_over()
    {
        var repository = $"team/{NewName("lapsed")}";
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(100_000));
        await site.Origin.PushBlobAsync(repository, blob);

        // A node that took the lease for this digest and died: it never renews, never stores the bytes. The clock starts
        // with the lease's 2 s, not after the insert (which took 0.7 s once on a loaded machine, and the lease with it).
        var clock = Stopwatch.StartNew();
        var until = DateTime.UtcNow.AddSeconds(2);
        await ServerDatabase.ScalarAsync(site.NodeA,
            """INSERT INTO "cluster_leases" ("Name", "Owner", "Until") VALUES (@p0, @p1, @p2)""",
            $"mirror-fetch:sha256:{blob.Hex}", "dead-node/1/0", until);

        using var http = new HttpClient { BaseAddress = site.NodeB.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.GetAsync($"/v2/{repository}/blobs/{blob.Digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(blob.Digest, Pull.Sha256(await response.Content.ReadAsByteArrayAsync()));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), $"served after {clock.Elapsed}, while another node held the lease");
        Assert.Equal(1, site.Upstream.Count("GET", $"/v2/{repository}/blobs/{blob.Digest}"));

        // Released once the fetch is done (the client may have its last byte a moment before).
        var released = Stopwatch.StartNew();
        while (Convert.ToInt64(await ServerDatabase.ScalarAsync(site.NodeA,
            """SELECT COUNT(*) FROM "cluster_leases" WHERE "Name" = @p0""", $"mirror-fetch:sha256:{blob.Hex}"), System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            Assert.True(released.Elapsed < TimeSpan.FromSeconds(10), "the fetch lease was not released");
            await Task.Delay(100);
        }
    }
}
