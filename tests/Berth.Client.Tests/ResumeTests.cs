using System.Diagnostics;
using Berth.Client.Tests.Support;
using Berth.Client.Transfer;

namespace Berth.Client.Tests;

/// <summary>
/// Interrupted transfers continue where they stopped: a connection dropped mid-layer (in-process retry), and a client
/// killed mid-layer (the next run picks up the partial download, or the registry's upload session).
/// </summary>
public sealed class ResumeTests(Registries registries) : IClassFixture<Registries>, IDisposable
{
    private const int LayerBytes = 12 * 1024 * 1024;
    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task A_download_cut_mid_layer_resumes_with_a_range_request()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = LargeImage.Create(_factory, LayerBytes);
        var repo = Names.Repo("cut-pull");
        using (var direct = Clients.Create())
        {
            await Clients.PushAsync(direct, _sandbox.NewLayout((image, "v1")), "v1", Clients.Ref(server.HostPort, repo));
        }

        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, p => p.CutDownloadsAfter = 3 * 1024 * 1024);
        using var client = Clients.Create();
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        await Clients.PullAsync(client, Clients.Ref(proxy.HostPort, repo), pulled.Path, "v1");

        Clients.AssertLayoutHolds(pulled, "v1", image);
        // Some of what the proxy sent before the cut was still in flight: the client asks for exactly what it lacks.
        var resumed = Assert.Single(proxy.Log, r => r.Method == "GET" && r.PathAndQuery.EndsWith(image.Layer.Digest, StringComparison.Ordinal) && r.Range is not null);
        Assert.Equal(206, resumed.Status);
        Assert.InRange(long.Parse(resumed.Range![6..^1], System.Globalization.CultureInfo.InvariantCulture), 1, 3 * 1024 * 1024);
    }

    [Fact]
    public async Task An_upload_cut_mid_layer_continues_from_the_offset_the_registry_reports()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = LargeImage.Create(_factory, LayerBytes);
        var repo = Names.Repo("cut-push");
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, p => p.CutUploadAfter = 5 * 1024 * 1024);
        using var client = Clients.Create();

        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", Clients.Ref(proxy.HostPort, repo));

        var patches = proxy.Log.Where(r => r.Method == "PATCH").ToList();
        Assert.True(patches.Count >= 2, string.Join("\n", proxy.Log));
        var resumedAt = long.Parse(patches[^1].ContentRange!.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 5 * 1024 * 1024);
        using var direct = Clients.Create();
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        await Clients.PullAsync(direct, Clients.Ref(server.HostPort, repo), pulled.Path, "v1");
        Clients.AssertLayoutHolds(pulled, "v1", image);
    }

    [Fact]
    public async Task A_killed_pull_is_finished_by_the_next_one_from_its_partial_file()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = LargeImage.Create(_factory, LayerBytes);
        var repo = Names.Repo("kill-pull");
        using (var direct = Clients.Create())
        {
            await Clients.PushAsync(direct, _sandbox.NewLayout((image, "v1")), "v1", Clients.Ref(server.HostPort, repo));
        }

        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, p => p.Throttle = 4 * 1024 * 1024);
        var destination = _sandbox.NewPath("pulled");
        var remote = $"{proxy.HostPort}/{repo}:v1";
        var partial = Path.Combine(destination, ".berth-partial", "sha256-" + image.Layer.Hex);
        using (var first = BerthCli.Start(["pull", remote, $"oci:{destination}:v1"], _sandbox.Environment))
        {
            await WaitUntilAsync(() => File.Exists(partial) && new FileInfo(partial).Length > 2 * 1024 * 1024, first);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 2 * 1024 * 1024, image.Layer.Size - 1);
        proxy.Throttle = 0;
        var second = (await _sandbox.BerthAsync("pull", remote, $"oci:{destination}:v1")).EnsureSuccess();

        Clients.AssertLayoutHolds(new OciLayout(destination), "v1", image);
        Assert.Contains("resuming download", second.Stderr);
        Assert.Contains(proxy.Log, r => r.Method == "GET" && r.Range is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) &&
            long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture) >= 2 * 1024 * 1024);
        Assert.False(Directory.Exists(Path.Combine(destination, ".berth-partial")));
    }

    [Fact]
    public async Task A_killed_push_is_finished_by_the_next_one_from_the_registry_session()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = LargeImage.Create(_factory, LayerBytes);
        var repo = Names.Repo("kill-push");
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, p => p.Throttle = 4 * 1024 * 1024);
        var source = _sandbox.NewLayout((image, "v1"));
        var remote = $"{proxy.HostPort}/{repo}:v1";
        var journal = Path.Combine(_sandbox.Home, ".cache", "berth", "uploads");
        using (var first = BerthCli.Start(["push", source.Reference("v1"), remote], _sandbox.Environment))
        {
            // The session is journaled when it opens; kill once the throttled PATCH has carried a few MiB to the registry.
            await WaitUntilAsync(() => proxy.UploadBytesForwarded > 3 * 1024 * 1024, first);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        Assert.NotEmpty(Directory.EnumerateFiles(journal));

        proxy.Throttle = 0;
        var second = (await _sandbox.BerthAsync("push", source.Reference("v1"), remote)).EnsureSuccess();

        Assert.Contains("resuming upload", second.Stderr);
        var resumed = proxy.Log.Last(r => r.Method == "PATCH");
        Assert.True(long.Parse(resumed.ContentRange!.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture) > 0, string.Join("\n", proxy.Log));
        using var direct = Clients.Create();
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        await Clients.PullAsync(direct, Clients.Ref(server.HostPort, repo), pulled.Path, "v1");
        Clients.AssertLayoutHolds(pulled, "v1", image);
        Assert.Empty(Directory.EnumerateFiles(journal));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited)
            {
                Assert.Fail($"berth exited ({process.ExitCode}) before the condition held");
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "timed out waiting for the transfer to start");
            await Task.Delay(50);
        }
    }

    public void Dispose() => _sandbox.Dispose();
}
