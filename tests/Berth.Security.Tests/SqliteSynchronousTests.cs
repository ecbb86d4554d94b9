using System.Net;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// docs/OPERATIONS.md "SQLite durability": with <c>--sqlite-synchronous normal</c> a commit does not wait for the disk,
/// yet a crash of the process (SIGKILL right after the last answer) loses nothing the registry answered; an unknown
/// mode is refused at start.
/// </summary>
public sealed class SqliteSynchronousTests
{
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task Pushes_answered_before_a_kill_are_all_there_after_the_restart()
    {
        // The setting is SQLite's, whatever database and storage the test run prefers.
        List<string> pinned = ["--database", "sqlite", "--storage", "filesystem", "--sqlite-synchronous", "normal"];
        await using var server = await RegistryServer.StartAsync(extraArgs: pinned);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var images = Enumerable.Range(0, 8).Select(_ => _factory.CreateImage(layers: 2)).ToList();
        for (var i = 0; i < images.Count; i++)
        {
            await V2.PushImageAsync(http, $"durable/app{i}", images[i], "v1");
        }

        await server.KillAsync();
        await server.RestartAsync();

        for (var i = 0; i < images.Count; i++)
        {
            var (status, manifest) = await V2.GetAsync(http, $"v2/durable/app{i}/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(images[i].Manifest.Digest, Blob.Sha256Digest(manifest));
            foreach (var blob in images[i].Layers.Prepend(images[i].Config))
            {
                var (blobStatus, bytes) = await V2.GetAsync(http, $"v2/durable/app{i}/blobs/{blob.Digest}");
                Assert.Equal(HttpStatusCode.OK, blobStatus);
                Assert.Equal(blob.Digest, Blob.Sha256Digest(bytes));
            }
        }
    }

    [Fact]
    public async Task An_unknown_mode_exits_2_naming_the_choices()
    {
        var work = Directory.CreateTempSubdirectory("berth-sync-");
        try
        {
            var run = await ServerCommand.RunAsync(
                ["--urls", $"http://127.0.0.1:{RegistryServer.FreeLoopbackPort()}", "--data-dir", "data", "--database", "sqlite", "--sqlite-synchronous", "off"],
                work.FullName,
                environment: new Dictionary<string, string?> { ["HOME"] = work.FullName });

            Assert.Equal(2, run.ExitCode);
            Assert.Equal("berth-server: unknown --sqlite-synchronous 'off' (expected: full, normal)", run.Stderr.Trim());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
