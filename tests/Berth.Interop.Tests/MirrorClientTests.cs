using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>
/// Real clients pull a private repository of a token-auth Berth origin through a Berth mirror that holds the origin's
/// credentials: podman through a registries.conf mirror (path prefix <c>/v2/origin.test/…</c>), skopeo by path prefix,
/// containerd's ctr through a hosts.toml mirror (<c>?ns=origin.test</c>). The content is the origin's, byte for byte.
/// </summary>
public sealed class MirrorClientTests(MirrorPrivateOrigin site) : IClassFixture<MirrorPrivateOrigin>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task Podman_pulls_through_a_registries_conf_mirror()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = await site.PushPrivateAsync(_tools, image, "podman");
        File.WriteAllText(_tools.Environment["CONTAINERS_REGISTRIES_CONF"]!, $"""
            unqualified-search-registries = []
            short-name-mode = "disabled"

            [[registry]]
            location = "{MirrorPrivateOrigin.Upstream}"

            [[registry.mirror]]
            location = "{site.Mirror.HostPort}/{MirrorPrivateOrigin.Upstream}"
            insecure = true
            """);

        var reference = $"{MirrorPrivateOrigin.Upstream}/{repo}:v1";
        (await _tools.PodmanAsync("pull", "-q", reference)).EnsureSuccess();

        var inspect = JsonNode.Parse((await _tools.PodmanAsync("image", "inspect", reference)).EnsureSuccess().Stdout)![0]!;
        Assert.Equal(image.Manifest.Digest, (string?)inspect["Digest"]);
        Assert.Equal(image.Config.Hex, (string?)inspect["Id"]);
        Assert.Equal(image.DiffIds, inspect["RootFS"]!["Layers"]!.AsArray().Select(l => (string)l!));
        AssertCameFromOrigin(repo, image);
    }

    [Fact]
    public async Task Skopeo_pulls_by_path_prefix_by_tag_and_by_digest()
    {
        var image = _factory.CreateImage(layers: 3);
        var repo = await site.PushPrivateAsync(_tools, image, "skopeo");
        var mirrored = $"docker://{site.Mirror.HostPort}/{MirrorPrivateOrigin.Upstream}/{repo}";

        foreach (var reference in new[] { $"{mirrored}:v1", $"{mirrored}@{image.Manifest.Digest}" })
        {
            var back = OciLayout.Create(_tools.NewPath("back"));
            (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", reference, back.Reference("back"))).EnsureSuccess();
            LayoutAssert.HoldsExactly(back, "back", image);
        }

        AssertCameFromOrigin(repo, image);
    }

    [ContainerdFact]
    public async Task Ctr_pulls_through_a_hosts_toml_mirror_with_ns()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = await site.PushPrivateAsync(_tools, image, "ctr");
        await using var containerd = await Containerd.StartAsync();

        var hosts = containerd.HostsDir(MirrorPrivateOrigin.Upstream, site.Mirror.HostPort);
        (await containerd.FetchAsync($"{MirrorPrivateOrigin.Upstream}/{repo}:v1", hosts)).EnsureSuccess();

        var stored = await containerd.ContentDigestsAsync();
        Assert.All(image.AllContent, blob => Assert.Contains(blob.Digest, stored));
        AssertCameFromOrigin(repo, image);
    }

    /// <summary>The mirror fetched every blob from the origin with its credentials (answered 200 there), none anonymously.</summary>
    private void AssertCameFromOrigin(string repo, ImageFixture image)
    {
        var toRepo = site.ToOrigin.Requests.Where(r => r.Path.StartsWith($"/v2/{repo}/", StringComparison.Ordinal)).ToList();
        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            Assert.Contains(toRepo, r => r.Method == "GET" && r.Path.EndsWith($"/blobs/{blob.Digest}", StringComparison.Ordinal) && r.Status == (int)HttpStatusCode.OK);
        }
    }

    public void Dispose() => _tools.Dispose();
}
