using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>SPEC §10 "stream everything": moving a 1 GiB blob must not grow the server's peak RSS by more than 100 MiB.</summary>
[Collection(HeavyCollection.Name)]
[Trait("Category", "Heavy")]
public sealed class MemoryTests(RegistryFixture registry, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RegistryFixture>
{
    private const long MiB = 1024 * 1024;
    private const long BlobSize = 1024 * MiB;
    private const long ChunkSize = 64 * MiB;
    private const long AllowedGrowth = 100 * MiB;

    [Fact]
    public async Task Pushing_and_pulling_1_GiB_in_chunks_keeps_peak_RSS_within_100_MiB()
    {
        using var http = registry.NewClient(TimeSpan.FromMinutes(10));
        var api = new RegistryApi(http);
        var repo = Repo.New("memory");

        // Warm up every code path with small data (JIT, pools, Kestrel) so the baseline is the steady state.
        var warm = GeneratedData.Random(2 * MiB);
        await PushChunkedAsync(api, repo, warm, MiB);
        Assert.Equal(warm.Sha256(), await FaultTests.HashBlobAsync(api, repo, warm.Sha256(), warm.Length));
        var baseline = registry.Server.PeakRssBytes();
        Assert.True(baseline > 0, "could not read the server's VmHWM");

        var data = GeneratedData.Random(BlobSize);
        var digest = await PushChunkedAsync(api, repo, data, ChunkSize);
        var afterPush = registry.Server.PeakRssBytes();

        using (var head = await api.HeadBlobAsync(repo, digest))
        {
            await Check.StatusAsync(head, HttpStatusCode.OK);
            Assert.Equal(BlobSize, head.Content.Headers.ContentLength);
        }

        Assert.Equal(digest, await FaultTests.HashBlobAsync(api, repo, digest, BlobSize));
        var afterPull = registry.Server.PeakRssBytes();

        output.WriteLine($"{registry.Server.Kind}: peak RSS baseline {baseline / MiB} MiB, after push {afterPush / MiB} MiB, after pull {afterPull / MiB} MiB");
        Assert.True(
            afterPull - baseline <= AllowedGrowth,
            $"peak RSS grew by {(afterPull - baseline) / MiB} MiB (baseline {baseline / MiB} MiB, after push {afterPush / MiB} MiB, after pull {afterPull / MiB} MiB); allowed {AllowedGrowth / MiB} MiB");
    }

    /// <summary>POST, PATCH chunks of <paramref name="chunkSize"/> streamed from the generator, PUT ?digest. Returns the digest.</summary>
    private static async Task<string> PushChunkedAsync(RegistryApi api, string repo, GeneratedData data, long chunkSize)
    {
        var session = await api.StartUploadAsync(repo);
        for (long offset = 0; offset < data.Length; offset += chunkSize)
        {
            var count = Math.Min(chunkSize, data.Length - offset);
            var end = offset + count - 1;
            using var patch = await api.SendAsync(HttpMethod.Patch, session, data.Content(offset, count), r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{end}"));
            await Check.StatusAsync(patch, HttpStatusCode.Accepted);
            Check.UploadRange(patch, end);
            session = Check.Location(patch);
        }

        // Hash client-side by streaming the generator again (the blob is never held in memory).
        var digest = data.Sha256();
        using var put = await api.PutUploadAsync(session, digest);
        await Check.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(digest, Check.RequiredHeader(put, "Docker-Content-Digest"));
        return digest;
    }
}
