using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Heavy tests run alone: they move hundreds of MiB and kill or measure the server process.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyCollection
{
    public const string Name = "Heavy";
}

/// <summary>SPEC §8: a process killed mid-upload leaves the upload resumable or cleanly gone; stored content never corrupt.</summary>
[Collection(HeavyCollection.Name)]
[Trait("Category", "Heavy")]
public sealed class FaultTests(RegistryFixture registry, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RegistryFixture>
{
    private const long MiB = 1024 * 1024;
    private const long ChunkSize = 64 * MiB;
    private const long BlobSize = 4 * ChunkSize + 12345; // a few hundred MiB, last chunk partial

    [Fact]
    public async Task Server_killed_mid_PATCH_leaves_the_upload_resumable_or_gone_and_stored_images_intact()
    {
        using var http = registry.NewClient(TimeSpan.FromMinutes(5));
        var api = new RegistryApi(http);

        // An image that was fully pushed before the crash.
        var repo = Repo.New("crash");
        var image = Build.OciImage(layers: 2, layerSize: 256 * 1024);
        await api.PushImageAsync(repo, image, "before-crash");

        var data = GeneratedData.Random(BlobSize);
        var digest = data.Sha256();

        // Chunk 0 lands; chunk 1 is cut off halfway by SIGKILL.
        var session = await api.StartUploadAsync(repo);
        using (var first = await api.SendAsync(HttpMethod.Patch, session, data.Content(0, ChunkSize), r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"0-{ChunkSize - 1}")))
        {
            await Check.StatusAsync(first, HttpStatusCode.Accepted);
            Check.UploadRange(first, ChunkSize - 1);
            session = Check.Location(first);
        }

        var content = new GeneratedContent(data, ChunkSize, ChunkSize) { PauseAfter = ChunkSize / 2 };
        var patch = api.SendAsync(HttpMethod.Patch, session, content, r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{ChunkSize}-{(2 * ChunkSize) - 1}"));
        await content.Paused.WaitAsync(TimeSpan.FromMinutes(2));
        await Task.Delay(500); // let the server read and write what is in flight
        await registry.Server.KillAsync();
        content.Resume();
        var killed = await Record.ExceptionAsync(async () => (await patch).Dispose());
        Assert.True(killed is HttpRequestException or IOException or TaskCanceledException, $"the PATCH should die with the server, got {killed}");

        await registry.Server.RestartAsync();

        // The half-uploaded blob is not visible.
        using (var head = await api.HeadBlobAsync(repo, digest))
        {
            await Check.StatusAsync(head, HttpStatusCode.NotFound);
        }

        // The upload either resumes from what the server says it holds, or is cleanly unknown.
        using (var status = await api.SendAsync(HttpMethod.Get, session))
        {
            await Check.StatusAsync(status, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
            if (status.StatusCode == HttpStatusCode.NoContent)
            {
                var last = Check.UploadOffset(status);
                output.WriteLine($"{registry.Server.Kind}: upload resumable after the crash at offset {last + 1} (sent {ChunkSize + content.BytesSent})");
                Assert.InRange(last, ChunkSize - 1, ChunkSize + (ChunkSize / 2) - 1);
                session = Check.Location(status);
                var offset = last + 1;

                // The killed request's claim on the upload lapses after the claim timeout (3 s in this fixture); until
                // then a chunk is refused with 416 and the offset the server holds, which is where it is resumed.
                var claimDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (offset < BlobSize)
                {
                    var count = Math.Min(ChunkSize, BlobSize - offset);
                    using var chunk = await api.SendAsync(HttpMethod.Patch, session, data.Content(offset, count), r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}"));
                    if (chunk.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && DateTime.UtcNow < claimDeadline)
                    {
                        Check.UploadRange(chunk, offset - 1);
                        await Task.Delay(250);
                        continue;
                    }

                    await Check.StatusAsync(chunk, HttpStatusCode.Accepted);
                    Check.UploadRange(chunk, offset + count - 1);
                    session = Check.Location(chunk);
                    offset += count;
                }

                using var put = await api.PutUploadAsync(session, digest);
                await Check.StatusAsync(put, HttpStatusCode.Created);
                Assert.Equal(digest, Check.RequiredHeader(put, "Docker-Content-Digest"));
                Assert.Equal(digest, await HashBlobAsync(api, repo, digest, BlobSize));
            }
            else
            {
                output.WriteLine($"{registry.Server.Kind}: upload gone after the crash");
                await Check.ErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
                using var head = await api.HeadBlobAsync(repo, digest);
                await Check.StatusAsync(head, HttpStatusCode.NotFound);
            }
        }

        // What was stored before the crash still pulls byte for byte.
        using (var manifest = await api.GetManifestAsync(repo, "before-crash"))
        {
            await Check.StatusAsync(manifest, HttpStatusCode.OK);
            Assert.Equal(image.Manifest.Bytes, await manifest.Content.ReadAsByteArrayAsync());
        }

        foreach (var blob in image.Blobs)
        {
            using var get = await api.GetBlobAsync(repo, blob.Digest);
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Server_killed_mid_monolithic_PUT_stores_nothing_and_keeps_old_content()
    {
        using var http = registry.NewClient(TimeSpan.FromMinutes(5));
        var api = new RegistryApi(http);
        var repo = Repo.New("crash");
        var image = Build.OciImage();
        await api.PushImageAsync(repo, image, "before-crash");

        var data = GeneratedData.Random(ChunkSize);
        var digest = data.Sha256();
        var session = await api.StartUploadAsync(repo);
        var content = new GeneratedContent(data, 0, ChunkSize) { PauseAfter = ChunkSize / 2 };
        var put = api.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(session, "digest", digest), content);
        await content.Paused.WaitAsync(TimeSpan.FromMinutes(2));
        await Task.Delay(500);
        await registry.Server.KillAsync();
        content.Resume();
        _ = await Record.ExceptionAsync(async () => (await put).Dispose());
        await registry.Server.RestartAsync();

        using (var head = await api.HeadBlobAsync(repo, digest))
        {
            await Check.StatusAsync(head, HttpStatusCode.NotFound);
        }

        using (var manifest = await api.GetManifestAsync(repo, "before-crash"))
        {
            await Check.StatusAsync(manifest, HttpStatusCode.OK);
            Assert.Equal(image.Manifest.Bytes, await manifest.Content.ReadAsByteArrayAsync());
        }

        // The repository still accepts new pushes after the crash.
        var fresh = Blob.Random(1000);
        await api.PushBlobAsync(repo, fresh);
        using var get = await api.GetBlobAsync(repo, fresh.Digest);
        Assert.Equal(fresh.Bytes, await get.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Streams the blob back and hashes it while reading.</summary>
    public static async Task<string> HashBlobAsync(RegistryApi api, string repo, string digest, long expectedLength)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, api.ToUri($"v2/{repo}/blobs/{digest}"));
        using var response = await api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await Check.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(expectedLength, response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }

        Assert.Equal(expectedLength, total);
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
