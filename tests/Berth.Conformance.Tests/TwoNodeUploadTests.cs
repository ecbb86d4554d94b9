using System.Diagnostics;
using System.Net;
using Berth.Conformance.Tests.Support;
using Berth.Testing;

namespace Berth.Conformance.Tests;

/// <summary>
/// Issue 9 point 2: an upload is continued by whichever node gets its next chunk. Two server processes share one data
/// directory and one SQLite database; the chunks of one upload alternate between them.
/// </summary>
public sealed class TwoNodeUploadTests(TwoNodeFixture nodes, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TwoNodeFixture>
{
    private const long MiB = 1024 * 1024;

    // Chunk ends off SHA-256's 64-byte blocks, so a hash state handed between nodes holds a partial block.
    private const long FirstChunk = (2 * MiB) + 13;
    private const long SecondChunk = (3 * MiB / 2) + 29;
    private const long BlobSize = (5 * MiB) + 77;
    private const long LastChunk = BlobSize - FirstChunk - SecondChunk;

    [Fact]
    public async Task Chunks_on_A_then_B_then_the_final_PUT_on_A_store_the_exact_blob_that_B_serves()
    {
        var repo = Repo.New("two-node");
        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();
        var session = await nodes.ApiA.StartUploadAsync(repo);

        using (var first = await PatchAsync(nodes.ApiA, session, data, 0, FirstChunk))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
            Check.UploadRange(first, FirstChunk - 1);
        }

        // B answers for an upload only A has seen: it reads A's database, and has none of its own.
        using (var status = await nodes.ApiB.SendAsync(HttpMethod.Get, TwoNodeFixture.On(nodes.B, session)))
        {
            await Check.StatusAsync(status, HttpStatusCode.NoContent);
            Check.UploadRange(status, FirstChunk - 1);
        }

        Assert.False(File.Exists(Path.Combine(nodes.B.DataDir, "berth.db")), "node B created a database of its own");

        using (var second = await PatchAsync(nodes.ApiB, TwoNodeFixture.On(nodes.B, session), data, FirstChunk, SecondChunk))
        {
            await Check.StatusAsync(second, HttpStatusCode.Accepted);
            Check.UploadRange(second, FirstChunk + SecondChunk - 1);
        }

        // The hash went on from A's state on B (no re-reading): the row carries B's exported state for the next node.
        var state = await nodes.UploadColumnAsync(UploadId(session), "HashState") as byte[];
        Assert.True(state is { Length: > 0 }, "no SHA-256 state was recorded after B's chunk");

        var body = data.Content(FirstChunk + SecondChunk, LastChunk);
        using (var put = await nodes.ApiA.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(session, "digest", digest), body, r =>
            r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{FirstChunk + SecondChunk}-{BlobSize - 1}")))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
            Assert.Equal(digest, Check.RequiredHeader(put, "Docker-Content-Digest"));
        }

        Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiB, repo, digest, BlobSize));
        Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiA, repo, digest, BlobSize));
        await AssertNothingStoredAsync(UploadKey(session), "the completed upload left data behind");
    }

    [Fact]
    public async Task A_chunk_on_B_at_the_wrong_offset_is_refused_with_the_recorded_range_and_changes_nothing()
    {
        var repo = Repo.New("two-node-gap");
        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();
        var session = await nodes.ApiA.StartUploadAsync(repo);
        var onB = TwoNodeFixture.On(nodes.B, session);
        using (var first = await PatchAsync(nodes.ApiA, session, data, 0, FirstChunk))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
        }

        var stateBefore = await nodes.UploadColumnAsync(UploadId(session), "HashState");
        var storedBefore = await nodes.Storage.ListAsync(UploadKey(session));

        // A gap (bytes skipped) and an overlap (bytes sent twice): both refused before a byte is stored.
        foreach (var wrong in new[] { FirstChunk + 1000, FirstChunk - 7 })
        {
            using var refused = await PatchAsync(nodes.ApiB, onB, data, wrong, SecondChunk);
            await Check.ErrorAsync(refused, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");
            Check.UploadRange(refused, FirstChunk - 1);
        }

        using (var status = await nodes.ApiA.SendAsync(HttpMethod.Get, session))
        {
            await Check.StatusAsync(status, HttpStatusCode.NoContent);
            Check.UploadRange(status, FirstChunk - 1);
        }

        Assert.Equal(stateBefore, await nodes.UploadColumnAsync(UploadId(session), "HashState"));
        var storedAfter = await nodes.Storage.ListAsync(UploadKey(session));
        Assert.Equal(storedBefore, storedAfter);
        Assert.Equal(FirstChunk, storedAfter.Sum(o => o.Size));

        using (var second = await PatchAsync(nodes.ApiB, onB, data, FirstChunk, SecondChunk + LastChunk))
        {
            await Check.StatusAsync(second, HttpStatusCode.Accepted);
            Check.UploadRange(second, BlobSize - 1);
        }

        using (var put = await nodes.ApiA.PutUploadAsync(session, digest))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
        }

        Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiB, repo, digest, BlobSize));
    }

    [Fact]
    public async Task Two_nodes_never_append_at_one_offset_at_once()
    {
        var repo = Repo.New("two-node-race");
        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();
        var session = await nodes.ApiA.StartUploadAsync(repo);
        var onB = TwoNodeFixture.On(nodes.B, session);
        using (var first = await PatchAsync(nodes.ApiA, session, data, 0, FirstChunk))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
        }

        // A's second chunk stops mid-body, holding its claim; its bytes on disk show it is inside the upload.
        using var clientA = RegistryFixture.CreateClient(nodes.A.BaseUri, TimeSpan.FromSeconds(60));
        var content = new GeneratedContent(data, FirstChunk, SecondChunk) { PauseAfter = MiB + 3 };
        var patchA = PatchAsync(new RegistryApi(clientA), session, data, FirstChunk, SecondChunk, content);
        await content.Paused.WaitAsync(TimeSpan.FromSeconds(30));
        var sincePause = Stopwatch.StartNew();
        await WaitForStoredAsync(session, FirstChunk + 1);

        // B's client asks where the upload stands and sends from there: the recorded offset, which A is appending at.
        using (var status = await nodes.ApiB.SendAsync(HttpMethod.Get, onB))
        {
            await Check.StatusAsync(status, HttpStatusCode.NoContent);
            Check.UploadRange(status, FirstChunk - 1);
        }

        // A short chunk: the race is decided before A's claim, last renewed before the pause, could lapse (4 s; each request waits up to a quarter of that for a live claim to settle).
        using (var racing = await PatchAsync(nodes.ApiB, onB, data, FirstChunk, 1000))
        {
            Assert.True(
                racing.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable,
                $"B appended at the offset A is writing: {(int)racing.StatusCode}, {sincePause.Elapsed.TotalSeconds:0.00} s after A paused");
            await Check.ErrorAsync(racing, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");
            Check.UploadRange(racing, FirstChunk - 1);
        }

        content.Resume();
        using (var completedA = await patchA)
        {
            await Check.StatusAsync(completedA, HttpStatusCode.Accepted);
            Check.UploadRange(completedA, FirstChunk + SecondChunk - 1);
        }

        var rest = data.Content(FirstChunk + SecondChunk, LastChunk);
        using (var put = await nodes.ApiB.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(onB, "digest", digest), rest, r =>
            r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{FirstChunk + SecondChunk}-{BlobSize - 1}")))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
        }

        Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiA, repo, digest, BlobSize));
    }

    [Fact]
    public async Task A_node_killed_mid_PATCH_holds_the_upload_until_its_claim_lapses_then_B_completes_it()
    {
        var repo = Repo.New("two-node-kill");
        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();
        var session = await nodes.ApiA.StartUploadAsync(repo);
        var onB = TwoNodeFixture.On(nodes.B, session);
        using (var first = await PatchAsync(nodes.ApiA, session, data, 0, FirstChunk))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
        }

        using var clientA = RegistryFixture.CreateClient(nodes.A.BaseUri, TimeSpan.FromSeconds(60));
        var content = new GeneratedContent(data, FirstChunk, SecondChunk) { PauseAfter = MiB + 3 };
        var patchA = PatchAsync(new RegistryApi(clientA), session, data, FirstChunk, SecondChunk, content);
        await content.Paused.WaitAsync(TimeSpan.FromSeconds(30));
        var sincePause = Stopwatch.StartNew();
        await WaitForStoredAsync(session, FirstChunk + 1);
        var restarted = false;
        try
        {
            await nodes.A.KillAsync();
            content.Resume();
            var killed = await Record.ExceptionAsync(async () => (await patchA).Dispose());
            Assert.True(killed is HttpRequestException or IOException or TaskCanceledException, $"the PATCH should die with node A, got {killed}");

            // The bytes A wrote past its last recorded offset do not count.
            using (var status = await nodes.ApiB.SendAsync(HttpMethod.Get, onB))
            {
                await Check.StatusAsync(status, HttpStatusCode.NoContent);
                Check.UploadRange(status, FirstChunk - 1);
            }

            // A's claim outlives A by up to the claim timeout: B refuses the chunk (416, the recorded range) until then.
            var refusals = 0;
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                using var chunk = await PatchAsync(nodes.ApiB, onB, data, FirstChunk, SecondChunk + LastChunk);
                if (chunk.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    await Check.StatusAsync(chunk, HttpStatusCode.Accepted);
                    Check.UploadRange(chunk, BlobSize - 1);
                    break;
                }

                await Check.ErrorAsync(chunk, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");
                Check.UploadRange(chunk, FirstChunk - 1);
                refusals++;
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"node A's claim never lapsed ({refusals} refusals)");
                await Task.Delay(200);
            }

            // Refused at first while the claim was surely live: it was renewed at most a sixth of the timeout before the pause.
            output.WriteLine($"B was refused {refusals} times; it took the upload over {sincePause.Elapsed.TotalSeconds:0.0} s after A's last bytes");
            if (sincePause.Elapsed - deadline.Elapsed < TimeSpan.FromSeconds(TwoNodeFixture.ClaimSeconds) / 2)
            {
                Assert.True(refusals > 0, "node B took over the upload while node A's claim was live");
            }

            using (var put = await nodes.ApiB.PutUploadAsync(onB, digest))
            {
                await Check.StatusAsync(put, HttpStatusCode.Created);
            }

            Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiB, repo, digest, BlobSize));

            await nodes.A.RestartAsync();
            restarted = true;
            Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiA, repo, digest, BlobSize));
        }
        finally
        {
            if (!restarted)
            {
                // The other tests of this class need node A.
                await nodes.A.RestartAsync();
            }
        }
    }

    [Fact]
    public async Task Without_a_hash_state_completion_still_verifies_the_digest()
    {
        // A node without libcrypto records no hash state; the next node must then hash the stored bytes at the end.
        var repo = Repo.New("two-node-nohash");
        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();

        var right = await UploadWithoutHashStateAsync(repo, data);
        using (var put = await nodes.ApiA.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(right, "digest", digest), data.Content(FirstChunk + SecondChunk, LastChunk), r =>
            r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{FirstChunk + SecondChunk}-{BlobSize - 1}")))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
            Assert.Equal(digest, Check.RequiredHeader(put, "Docker-Content-Digest"));
        }

        Assert.Equal(digest, await FaultTests.HashBlobAsync(nodes.ApiB, repo, digest, BlobSize));

        // The same without a hash state, other bytes, and a digest naming what they are not: refused, nothing stored.
        var other = GeneratedData.Random(BlobSize);
        var otherDigest = other.Sha256();
        var wrongRepo = Repo.New("two-node-nohash-wrong");
        var wrong = await UploadWithoutHashStateAsync(wrongRepo, other);
        var claimed = Digests.Random();
        using (var put = await nodes.ApiA.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(wrong, "digest", claimed), other.Content(FirstChunk + SecondChunk, LastChunk), r =>
            r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{FirstChunk + SecondChunk}-{BlobSize - 1}")))
        {
            await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }

        foreach (var name in new[] { claimed, otherDigest })
        {
            using var head = await nodes.ApiB.HeadBlobAsync(wrongRepo, name);
            await Check.StatusAsync(head, HttpStatusCode.NotFound);
        }

        var hex = otherDigest.Hex();
        await AssertNothingStoredAsync($"blobs/sha256/{hex[..2]}/{hex}", "the refused bytes were stored as a blob");
        await AssertNothingStoredAsync(UploadKey(wrong), "the refused upload left data behind");
        using (var status = await nodes.ApiB.SendAsync(HttpMethod.Get, TwoNodeFixture.On(nodes.B, wrong)))
        {
            await Check.ErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
    }

    /// <summary>First chunk on A, its hash state erased from the row, second chunk on B; returns the session (on A).</summary>
    private async Task<Uri> UploadWithoutHashStateAsync(string repo, GeneratedData data)
    {
        var session = await nodes.ApiA.StartUploadAsync(repo);
        using (var first = await PatchAsync(nodes.ApiA, session, data, 0, FirstChunk))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
        }

        var id = UploadId(session);
        Assert.NotNull(await nodes.UploadColumnAsync(id, "HashState"));
        Assert.Equal(1, await nodes.ForgetHashStateAsync(id));

        using (var second = await PatchAsync(nodes.ApiB, TwoNodeFixture.On(nodes.B, session), data, FirstChunk, SecondChunk))
        {
            await Check.StatusAsync(second, HttpStatusCode.Accepted);
            Check.UploadRange(second, FirstChunk + SecondChunk - 1);
        }

        // B had nothing to go on from, and invents nothing: the digest must come from the stored bytes.
        Assert.Null(await nodes.UploadColumnAsync(id, "HashState"));
        return session;
    }

    private static Task<HttpResponseMessage> PatchAsync(RegistryApi api, Uri session, GeneratedData data, long offset, long count, GeneratedContent? content = null) =>
        api.SendAsync(HttpMethod.Patch, session, content ?? data.Content(offset, count), r =>
            r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}"));

    private static string UploadId(Uri session) => session.Segments[^1];

    private static string UploadKey(Uri session) => $"uploads/{UploadId(session)}";

    private async Task AssertNothingStoredAsync(string key, string message)
    {
        var stored = await nodes.Storage.ListAsync(key);
        Assert.True(stored.Count == 0, $"{message}: {string.Join(", ", stored)}");
    }

    /// <summary>
    /// Waits until a request is inside the upload: its stored data holds at least <paramref name="bytes"/> on the
    /// filesystem; on S3, where the bytes of a part not yet full stay in the node's memory, until the request holds its claim.
    /// </summary>
    private async Task WaitForStoredAsync(Uri session, long bytes)
    {
        var deadline = Stopwatch.StartNew();
        while (TestStorage.S3Enabled
            ? await nodes.UploadColumnAsync(UploadId(session), "ClaimToken") is null
            : await nodes.Storage.SizeAsync(UploadKey(session)) is not { } size || size < bytes)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the paused PATCH never started writing");
            await Task.Delay(20);
        }
    }
}
