using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Cluster.Tests.Support;

namespace Berth.Cluster.Tests;

/// <summary>
/// Parts of the cluster failing under it: PostgreSQL restarted during traffic, s3rver stopped during uploads. Requests
/// fail cleanly (503 with the spec's error body) and the same Berth processes recover when the part returns.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FaultTests(ClusterFixture cluster)
{
    [Fact]
    public async Task PostgreSQL_restarted_during_traffic_gives_clean_503s_and_the_nodes_recover_without_a_restart()
    {
        var repo = "admin/pg-restart";
        var token = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push");
        using var http = Tokens.Bearer(cluster.Balancer.BaseUri, token);
        var digest = await Pushes.PushImageAsync(http, repo, "v1", "before");
        var pids = cluster.Nodes.Select(n => n.ProcessId).ToArray();

        // Traffic through the balancer (two loops of manifest GETs) for the whole outage; bounded in time.
        var outcomes = new ConcurrentQueue<(HttpStatusCode Status, string Body, bool RetryAfter, DateTime At)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var traffic = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await http.GetAsync(new Uri($"v2/{repo}/manifests/v1", UriKind.Relative), CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                outcomes.Enqueue((response.StatusCode, body, response.Headers.RetryAfter is not null, DateTime.UtcNow));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
                }
            }
        })).ToArray();

        await WaitForAsync(() => outcomes.Count(o => o.Status == HttpStatusCode.OK) >= 10, "traffic before the restart");
        await cluster.Postgres.StopAsync();
        var stoppedAt = DateTime.UtcNow;
        await WaitForAsync(() => outcomes.Count(o => o.Status == HttpStatusCode.ServiceUnavailable) >= 6, "503s while PostgreSQL is down");
        await cluster.Postgres.StartAsync();
        var startedAt = DateTime.UtcNow;
        await WaitForAsync(() => outcomes.Count(o => o.Status == HttpStatusCode.OK && o.At > startedAt) >= 30, "200s after PostgreSQL is back");
        var recovered = outcomes.Where(o => o.Status == HttpStatusCode.OK && o.At > startedAt).Min(o => o.At) - startedAt;
        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        foreach (var (status, body, retryAfter, _) in outcomes)
        {
            if (status == HttpStatusCode.OK)
            {
                continue;
            }

            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"during the restart: {(int)status} {body}{cluster.NodeFailures()}");
            AssertUnavailable(body);
            Assert.True(retryAfter, "a 503 without Retry-After");
        }

        Console.WriteLine($"PostgreSQL restart: {outcomes.Count} requests, {outcomes.Count(o => o.Status != HttpStatusCode.OK)} 503s, first 200 {recovered.TotalSeconds:0.00} s after the start (down {(startedAt - stoppedAt).TotalSeconds:0.0} s)");
        Assert.Equal(pids, cluster.Nodes.Select(n => n.ProcessId));
        await Pushes.PushImageAsync(http, repo, "v2", "after");
    }

    [Fact]
    public async Task S3rver_stopped_makes_uploads_fail_cleanly_with_no_partial_blob_and_uploads_resume_when_it_returns()
    {
        var repo = "admin/s3-down";
        var token = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push");
        using var http = Tokens.Bearer(cluster.Balancer.BaseUri, token);
        var small = new byte[64 * 1024];
        var large = new byte[12 * 1024 * 1024]; // more than one 8 MiB part: a multipart upload
        new Random(3).NextBytes(small);
        new Random(4).NextBytes(large);

        await cluster.S3.StopAsync();
        try
        {
            foreach (var blob in new[] { small, large })
            {
                using var put = await Pushes.UploadBlobAsync(http, repo, blob);
                var body = await put.Content.ReadAsStringAsync();
                Assert.True(put.StatusCode == HttpStatusCode.ServiceUnavailable, $"upload of {blob.Length} bytes with s3rver down: {(int)put.StatusCode} {body}");
                AssertUnavailable(body);
            }
        }
        finally
        {
            await cluster.S3.RestartAsync();
        }

        // Nothing of those uploads is visible on any node once the store is back.
        foreach (var node in cluster.Nodes)
        {
            using var direct = Tokens.Bearer(node.BaseUri, token);
            foreach (var blob in new[] { small, large })
            {
                using var head = await direct.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"v2/{repo}/blobs/{Blob.Sha256Digest(blob)}", UriKind.Relative)));
                Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
            }
        }

        // The same uploads succeed now, without restarting any node, and read back whole.
        foreach (var blob in new[] { small, large })
        {
            using (var put = await Pushes.UploadBlobAsync(http, repo, blob))
            {
                Assert.True(put.StatusCode == HttpStatusCode.Created, $"upload after s3rver returned: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            }

            using var get = await http.GetAsync(new Uri($"v2/{repo}/blobs/{Blob.Sha256Digest(blob)}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(Blob.Sha256Digest(blob), Blob.Sha256Digest(await get.Content.ReadAsByteArrayAsync()));
        }
    }

    private static void AssertUnavailable(string body)
    {
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("UNAVAILABLE", (string)error["code"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(45))
            {
                throw new TimeoutException($"no {what} within 45 s");
            }

            await Task.Delay(50);
        }
    }
}
