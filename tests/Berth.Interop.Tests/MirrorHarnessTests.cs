using System.Net;

namespace Berth.Interop.Tests;

/// <summary>
/// The harnesses the mirror tests stand on, proven against what works without a mirror: CNCF Distribution 2.8.2 in
/// proxy mode in front of a Berth origin, containerd's ctr pulling through a hosts.toml mirror entry (which sends
/// <c>?ns=</c>), and the counting forwarder that sees every request reaching the origin.
/// </summary>
public sealed class MirrorHarnessTests : IAsyncLifetime, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();
    private RegistryServer _origin = null!;
    private CountingForwarder _counter = null!;

    public async Task InitializeAsync()
    {
        _origin = await RegistryServer.StartAsync();
        _counter = await CountingForwarder.StartAsync(_origin.BaseUri);
    }

    [Fact]
    public async Task Distribution_in_proxy_mode_serves_a_Berth_origin_and_pulls_warm_without_blob_fetches()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = Names.Repo("dproxy");
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", _tools.NewLayout((image, "v1")).Reference("v1"),
            $"docker://{_origin.HostPort}/{repo}:v1")).EnsureSuccess();
        await using var proxy = await RegistryServer.StartAsync(RegistryKind.Distribution, proxy: new DistributionProxy(_counter.BaseUri));

        var blobs = new[] { image.Config }.Concat(image.Layers).ToList();
        await PullAndCompareAsync(proxy, repo, image);
        var cold = _counter.BlobGetsByDigest();
        Assert.All(blobs, blob => Assert.True(cold.GetValueOrDefault(blob.Digest) >= 1, $"{blob.Digest} never reached the origin"));

        // 2.8.2 serves a cold blob from one upstream fetch and stores it from a second one, in a goroutine that may still
        // run after the pull returned: the warm pull starts once each blob is linked into the repository (the link is
        // written after the blob moved into place), or it fetches what is still being stored.
        await WaitForDistributionLinksAsync(proxy, repo, blobs.Select(b => b.Hex));

        // Warm: served from Distribution's cache; only the tag is checked upstream.
        _counter.Clear();
        await PullAndCompareAsync(proxy, repo, image);
        using var http = new RegistryHttp(proxy);
        await http.AssertManifestAsync(repo, image.Manifest.Digest, image.Manifest);
        Assert.Empty(_counter.BlobGetsByDigest());
    }

    private static async Task WaitForDistributionLinksAsync(RegistryServer distribution, string repo, IEnumerable<string> hexDigests)
    {
        var links = hexDigests
            .Select(hex => Path.Combine(distribution.DataDir, "docker", "registry", "v2", "repositories", repo, "_layers", "sha256", hex, "link"))
            .ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!links.All(File.Exists))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"Distribution did not store {string.Join(", ", links.Where(l => !File.Exists(l)))} within 30 s");
            await Task.Delay(50);
        }
    }

    private async Task PullAndCompareAsync(RegistryServer registry, string repo, ImageFixture image)
    {
        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{registry.HostPort}/{repo}:v1", back.Reference("back"))).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, "back", image);
    }

    [ContainerdFact]
    public async Task Ctr_pulls_through_a_hosts_toml_mirror_entry_with_ns()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = Names.Repo("ctr");
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", _tools.NewLayout((image, "v1")).Reference("v1"),
            $"docker://{_origin.HostPort}/{repo}:v1")).EnsureSuccess();
        await using var containerd = await Containerd.StartAsync();

        // "origin.test" resolves nowhere: the content can only come through the mirror entry, i.e. the forwarder.
        var hosts = containerd.HostsDir("origin.test", _counter.HostPort);
        (await containerd.FetchAsync($"origin.test/{repo}:v1", hosts)).EnsureSuccess();

        var stored = await containerd.ContentDigestsAsync();
        Assert.All(image.AllContent, blob => Assert.Contains(blob.Digest, stored));
        var toOrigin = _counter.Requests.Where(r => r.Path.StartsWith($"/v2/{repo}/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(toOrigin);
        Assert.All(toOrigin, r => Assert.Contains("ns=origin.test", r.Query, StringComparison.Ordinal));
        Assert.All(toOrigin, r => Assert.Equal((int)HttpStatusCode.OK, r.Status));
    }

    public async Task DisposeAsync()
    {
        await _counter.DisposeAsync();
        await _origin.DisposeAsync();
    }

    public void Dispose() => _tools.Dispose();
}
