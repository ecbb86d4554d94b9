namespace Berth.Interop.Tests;

/// <summary>
/// Chains of pull-through caches (issue 13): client → Berth mirror B → Berth mirror A → Berth origin; a Berth mirror of
/// CNCF Distribution 2.8.2; Distribution 2.8.2 in proxy mode in front of a Berth mirror. skopeo pulls at the client end
/// get the origin's content byte for byte.
/// </summary>
public sealed class MirrorChainTests(MirrorChain chain) : IClassFixture<MirrorChain>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task Client_pulls_through_two_Berth_mirrors_and_the_origin_serves_each_blob_once()
    {
        var starting = chain.MirrorBAsync();
        var origin = await chain.OriginAsync();
        var image = _factory.CreateImage(layers: 3);
        var repo = Names.Repo("chain");
        await PushAsync(origin, repo, image);
        var b = await starting;

        await PullAndCompareAsync(b, repo, image, byDigest: false);
        await PullAndCompareAsync(b, repo, image, byDigest: true);

        var gets = (await chain.ToOriginAsync()).Requests
            .Where(r => r.Method == "GET" && r.Path.StartsWith($"/v2/{repo}/blobs/", StringComparison.Ordinal))
            .GroupBy(r => r.Path[(r.Path.LastIndexOf('/') + 1)..])
            .ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { image.Config }.Concat(image.Layers).Select(l => l.Digest).Order(), gets.Keys.Order());
        Assert.All(gets, g => Assert.True(g.Value == 1, $"the origin served {g.Key} {g.Value} times"));
    }

    [Fact]
    public async Task Berth_mirrors_a_Distribution_origin()
    {
        var starting = chain.MirrorOfDistributionAsync();
        var origin = await chain.DistributionOriginAsync();
        var image = _factory.CreateImage(layers: 2, format: ManifestFormat.Docker);
        var repo = Names.Repo("of-distribution");
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", DirLayout.Write(_tools.NewPath("dir"), image).Reference,
            $"docker://{origin.HostPort}/{repo}:v1")).EnsureSuccess();
        var mirror = await starting;

        var back = new DirLayout(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{mirror.HostPort}/{repo}:v1", back.Reference)).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, image);
    }

    [Fact]
    public async Task Distribution_in_proxy_mode_mirrors_a_Berth_mirror()
    {
        var starting = chain.DistributionProxyOfAAsync();
        var origin = await chain.OriginAsync();
        var image = _factory.CreateImage(layers: 2);
        var repo = Names.Repo("under-distribution");
        await PushAsync(origin, repo, image);
        var proxy = await starting;

        await PullAndCompareAsync(proxy, repo, image, byDigest: false);
    }

    private async Task PushAsync(RegistryServer registry, string repo, ImageFixture image) =>
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", _tools.NewLayout((image, "v1")).Reference("v1"),
            $"docker://{registry.HostPort}/{repo}:v1")).EnsureSuccess();

    private async Task PullAndCompareAsync(RegistryServer registry, string repo, ImageFixture image, bool byDigest)
    {
        var back = OciLayout.Create(_tools.NewPath("back"));
        var reference = byDigest ? $"@{image.Manifest.Digest}" : ":v1";
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{registry.HostPort}/{repo}{reference}", back.Reference("back"))).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, "back", image);
    }

    public void Dispose() => _tools.Dispose();
}
