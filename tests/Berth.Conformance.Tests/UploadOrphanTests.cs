using System.Net;
using Berth.Conformance.Tests.Support;
using Berth.Testing;

namespace Berth.Conformance.Tests;

/// <summary>A PATCH while the PUT completing its upload holds it is refused (416); after it, the session is gone (404).</summary>
public sealed class PatchBehindPutTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_PATCH_racing_the_completing_PUT_is_refused_and_leaves_no_upload_data()
    {
        using var putClient = registry.NewClient(TimeSpan.FromSeconds(30));
        using var patchClient = registry.NewClient(TimeSpan.FromSeconds(30));
        var puts = new RegistryApi(putClient);
        var patches = new RegistryApi(patchClient);
        var repo = Repo.New("patch-behind-put");
        var data = GeneratedData.Random(1024 * 1024);
        var session = await puts.StartUploadAsync(repo);
        var id = session.Segments[^1];
        var storage = StoredObjects.Of(registry.Server);
        using (var ping = await patches.GetAsync("v2/"))
        {
            await Check.StatusAsync(ping, HttpStatusCode.OK);
        }

        // The PUT claims the upload and streams half its body, then pauses.
        var content = new GeneratedContent(data, 0, data.Length) { PauseAfter = data.Length / 2 };
        var put = puts.SendAsync(HttpMethod.Put, RegistryApi.WithQuery(session, "digest", data.Sha256()), content);
        await content.Paused.WaitAsync(TimeSpan.FromSeconds(30));

        // Bytes on disk mean the PUT is inside the upload, holding its claim (they are written in batches of 256 KiB). On
        // S3 they stay in the server's memory until a part is full: there the claim the PUT took shows it is inside.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (TestStorage.S3Enabled
            ? await UploadRow.ColumnAsync(registry.Server.DataDir, id, "ClaimToken") is null
            : await storage.SizeAsync($"uploads/{id}") is not > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the PUT never started writing");
            await Task.Delay(50);
        }

        // The offset the session records moves only when a request ends: status still says nothing is received.
        using (var status = await patches.SendAsync(HttpMethod.Get, session))
        {
            await Check.StatusAsync(status, HttpStatusCode.NoContent);
            Check.UploadRange(status, 0); // "0-0": an empty upload, as Distribution says it
        }

        using (var racing = await patches.PatchAsync(session, Blob.Random(1000).Bytes, contentRange: null))
        {
            await Check.ErrorAsync(racing, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");
        }

        content.Resume();
        using (var completed = await put)
        {
            await Check.StatusAsync(completed, HttpStatusCode.Created);
        }

        using (var late = await patches.PatchAsync(session, Blob.Random(1000).Bytes, contentRange: null))
        {
            await Check.ErrorAsync(late, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }

        var left = await storage.ListAsync($"uploads/{id}");
        Assert.True(left.Count == 0, $"upload {id} left data behind: {string.Join(", ", left)}");
        Assert.Null(await storage.SizeAsync($"uploads/{id}"));
        using var get = await puts.GetBlobAsync(repo, data.Sha256());
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(data.Length, (await get.Content.ReadAsByteArrayAsync()).LongLength);
    }
}

/// <summary>The abandoned-upload purge also removes upload data that has no session row (an orphan), once it is idle.</summary>
public sealed class UploadPurgeTests(ShortIdleRegistryFixture registry) : IClassFixture<ShortIdleRegistryFixture>
{
    [Fact]
    public async Task Upload_data_without_a_session_row_is_gone_after_a_purge()
    {
        var storage = StoredObjects.Of(registry.Server);
        // Two as uploads keep their bytes (one object at the upload's key), one as they did before (uploads/ID/data).
        var strays = Enumerable.Range(0, 3).Select(_ => $"uploads/{Guid.NewGuid():N}").ToList();
        for (var i = 0; i < strays.Count; i++)
        {
            await storage.WriteAsync(i == 0 ? strays[i] + "/data" : strays[i], Blob.Random(4096).Bytes);
        }

        // Idle threshold 2 s, purge every second: bounded well within this deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var left = strays;
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            left = [.. (await storage.ListAsync("uploads")).Select(o => o.Key).Where(k => strays.Any(s => k == s || k.StartsWith(s + "/", StringComparison.Ordinal)))];
        }

        Assert.True(left.Count == 0, $"orphaned upload data still present: {string.Join(", ", left)}\n{registry.Server.ReadLog()}");
        if (!TestStorage.S3Enabled)
        {
            // Files leave their directories behind unless removed too; S3 has no directories to leave.
            Assert.All(strays, s => Assert.False(Directory.Exists(Path.Combine(registry.Server.DataDir, "storage", s)), $"{s} left behind"));
        }
    }
}

/// <summary>A registry whose uploads count as abandoned after 2 idle seconds, so its purge runs within a test.</summary>
public sealed class ShortIdleRegistryFixture : IAsyncLifetime
{
    private RegistryServer? _server;

    public RegistryServer Server => _server ?? throw new InvalidOperationException("The registry is not started.");

    public async Task InitializeAsync() =>
        _server = await RegistryServer.StartAsync(TestTarget.Kind, extraArgs: ["--upload-idle-seconds", "2"]);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
