using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Berth.Cluster.Tests.Support;
using Npgsql;

namespace Berth.Cluster.Tests;

/// <summary>
/// One chunked upload whose requests go to different nodes directly (no balancer), and one whose node is SIGKILLed in
/// the middle of a PATCH and that is finished through the other nodes once the dead node's claim lapses.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UploadAcrossNodesTests(ClusterFixture cluster)
{
    private const int Chunk = 6 * 1024 * 1024; // over S3's 5 MiB part minimum, so every node adds a multipart part

    [Fact]
    public async Task PATCHes_and_PUT_sent_to_three_different_nodes_make_one_blob()
    {
        var repo = "admin/across";
        var token = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push");
        var blob = RandomBytes(3 * Chunk + 12345, seed: 1);
        var clients = cluster.Nodes.Select(n => Tokens.Bearer(n.BaseUri, token)).ToArray();
        try
        {
            var session = await StartAsync(clients[0], repo);
            for (var i = 0; i < 3; i++)
            {
                var length = i < 2 ? Chunk : blob.Length - (2 * Chunk);
                using var patch = await PatchAsync(clients[(i + 1) % 3], session, blob, i * Chunk, length);
                Assert.True(patch.StatusCode == HttpStatusCode.Accepted, $"PATCH {i} on node {(i + 1) % 3}: {(int)patch.StatusCode} {await patch.Content.ReadAsStringAsync()}");
                Assert.Equal($"0-{(i * Chunk) + length - 1}", patch.Headers.GetValues("Range").Single());
            }

            await PutAsync(clients[1], session, blob);
            await AssertBlobOnEveryNodeAsync(clients, repo, blob);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_upload_whose_node_is_killed_mid_PATCH_is_finished_through_another_node()
    {
        var repo = "admin/killed";
        var token = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push");
        var blob = RandomBytes(3 * Chunk, seed: 2);
        var clients = cluster.Nodes.Select(n => Tokens.Bearer(n.BaseUri, token)).ToArray();
        var victim = cluster.Nodes[1];
        try
        {
            var session = await StartAsync(clients[0], repo);
            using (var first = await PatchAsync(clients[0], session, blob, 0, Chunk))
            {
                Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            }

            // Node 1 receives half of the second chunk, holds the claim, and dies without a word.
            var body = new StalledContent(blob.AsMemory(Chunk, Chunk / 2));
            var request = new HttpRequestMessage(HttpMethod.Patch, session) { Content = body };
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var stalled = clients[1].SendAsync(request);
            await body.Sent.WaitAsync(TimeSpan.FromSeconds(30));
            await WaitUntilClaimedAsync(UploadId(session));
            await victim.KillAsync();
            body.Abort();
            await Assert.ThrowsAnyAsync<Exception>(() => stalled);
            request.Dispose();

            // Node 2 reports what was recorded (the first chunk: the killed request's bytes were never checkpointed)
            // and, once the claim has lapsed, takes the rest; node 0 completes it.
            using (var status = await clients[2].GetAsync(session))
            {
                Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
                Assert.Equal($"0-{Chunk - 1}", status.Headers.GetValues("Range").Single());
            }

            var clock = Stopwatch.StartNew();
            HttpStatusCode last = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(4 * ClusterFixture.ClaimSeconds))
            {
                using var rest = await PatchAsync(clients[2], session, blob, Chunk, blob.Length - Chunk);
                last = rest.StatusCode;
                if (last == HttpStatusCode.Accepted)
                {
                    break;
                }

                // 416 while the dead node's claim is still live; anything else is a failure.
                Assert.True(last == HttpStatusCode.RequestedRangeNotSatisfiable, $"PATCH after the kill: {(int)last} {await rest.Content.ReadAsStringAsync()}");
                await Task.Delay(200);
            }

            Assert.Equal(HttpStatusCode.Accepted, last);
            Console.WriteLine($"upload continued {clock.Elapsed.TotalSeconds:0.0} s after the kill (claims last {ClusterFixture.ClaimSeconds} s)");
            await PutAsync(clients[0], session, blob);
            using var get = await clients[2].GetAsync(new Uri($"v2/{repo}/blobs/{Digest(blob)}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(Digest(blob), Digest(await get.Content.ReadAsByteArrayAsync()));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            await victim.RestartAsync();
        }
    }

    private static async Task<Uri> StartAsync(HttpClient http, string repo)
    {
        using var response = await http.PostAsync(new Uri($"v2/{repo}/blobs/uploads/", UriKind.Relative), null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var location = response.Headers.Location!;
        // Relative to whichever node is asked next.
        return new Uri(location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString, UriKind.Relative);
    }

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient http, Uri session, byte[] blob, int offset, int length)
    {
        var content = new ByteArrayContent(blob, offset, length);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
        using var request = new HttpRequestMessage(HttpMethod.Patch, session) { Content = content };
        return await http.SendAsync(request);
    }

    private static async Task PutAsync(HttpClient http, Uri session, byte[] blob)
    {
        var separator = session.OriginalString.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.PutAsync(new Uri($"{session.OriginalString}{separator}digest={Digest(blob)}", UriKind.Relative), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"PUT: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    private static async Task AssertBlobOnEveryNodeAsync(HttpClient[] clients, string repo, byte[] blob)
    {
        foreach (var client in clients)
        {
            using var get = await client.GetAsync(new Uri($"v2/{repo}/blobs/{Digest(blob)}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(Digest(blob), Digest(await get.Content.ReadAsByteArrayAsync()));
        }
    }

    /// <summary>Polls the shared database until a request holds the upload's claim (bounded).</summary>
    private async Task WaitUntilClaimedAsync(string uploadId)
    {
        await using var connection = new NpgsqlConnection(cluster.Postgres.ConnectionString("berth"));
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var command = new NpgsqlCommand("""SELECT "ClaimToken" FROM uploads WHERE "Id" = @id""", connection);
            command.Parameters.AddWithValue("id", uploadId);
            if (await command.ExecuteScalarAsync() is string { Length: > 0 })
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"upload {uploadId} was never claimed");
    }

    private static string UploadId(Uri session) => session.OriginalString.Split('?')[0].TrimEnd('/').Split('/')[^1];

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Digest(byte[] bytes) => Blob.Sha256Digest(bytes);

    /// <summary>A body that sends its bytes, says so, and then never ends until <see cref="Abort"/> (bounded: 60 s).</summary>
    private sealed class StalledContent(ReadOnlyMemory<byte> bytes) : HttpContent
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Sent => _sent.Task;

        public void Abort() => _aborted.TrySetException(new IOException("the test ended this body"));

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            _sent.TrySetResult();
            await _aborted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
