using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>skopeo against the registry: copies in both directions keep every byte, tags, inspect, delete.</summary>
public sealed class SkopeoTests(RegistryFixture registries) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Berth, ManifestFormat.Docker)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Docker)]
    public async Task Image_round_trips_byte_for_byte(RegistryKind kind, ManifestFormat format)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 3, format: format);
        var repo = Names.Repo("image");
        var remote = $"docker://{server.HostPort}/{repo}:v1";

        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", Source(image, "v1"), remote)).EnsureSuccess();

        using var http = new RegistryHttp(server);
        await http.AssertManifestAsync(repo, "v1", image.Manifest);
        await http.AssertManifestAsync(repo, image.Manifest.Digest, image.Manifest);
        await http.AssertBlobsAsync(repo, [image.Config, .. image.Layers]);

        await PullBackAndCompareAsync(remote, image, all: false);
    }

    [Theory]
    [InlineData(RegistryKind.Berth, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Berth, ManifestFormat.Docker)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Docker)]
    public async Task Multi_platform_index_round_trips_with_all(RegistryKind kind, ManifestFormat format)
    {
        var server = await registries.GetAsync(kind);
        var index = _factory.CreateIndex(format: format);
        var repo = Names.Repo("index");
        var remote = $"docker://{server.HostPort}/{repo}:multi";

        (await _tools.SkopeoAsync("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", Source(index, "multi"), remote)).EnsureSuccess();

        using var http = new RegistryHttp(server);
        await http.AssertManifestAsync(repo, "multi", index.Manifest);
        foreach (var image in index.Images)
        {
            await http.AssertManifestAsync(repo, image.Manifest.Digest, image.Manifest);
            await http.AssertBlobsAsync(repo, [image.Config, .. image.Layers]);
        }

        await PullBackAndCompareAsync(remote, index, all: true);

        // A single-platform pull of the list picks the right child.
        await PullBackAndCompareAsync(remote, index.Images.Single(i => i.Platform.Architecture == "arm64"), all: false,
            "--override-os", "linux", "--override-arch", "arm64", "--override-variant", "v8");
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task List_tags_inspect_and_delete(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var kept = _factory.CreateImage(layers: 1);
        var doomed = _factory.CreateImage(layers: 2);
        var source = _tools.NewLayout((kept, "kept"), (doomed, "doomed"));
        var repo = Names.Repo("tags");
        var host = $"docker://{server.HostPort}/{repo}";

        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", source.Reference("kept"), $"{host}:kept")).EnsureSuccess();
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", source.Reference("doomed"), $"{host}:doomed")).EnsureSuccess();
        // Registry to registry: the blobs already exist in the repository.
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false", $"{host}:doomed", $"{host}:also-doomed")).EnsureSuccess();

        var tags = await ListTagsAsync(host);
        Assert.Equal(["also-doomed", "doomed", "kept"], tags.Order(StringComparer.Ordinal));

        var raw = (await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", $"{host}:also-doomed")).EnsureSuccess();
        Assert.Equal(doomed.Manifest.Bytes, Encoding.UTF8.GetBytes(raw.Stdout));
        var rawConfig = (await _tools.SkopeoAsync("inspect", "--raw", "--config", "--tls-verify=false", $"{host}:kept")).EnsureSuccess();
        Assert.Equal(kept.Config.Bytes, Encoding.UTF8.GetBytes(rawConfig.Stdout));

        var inspect = JsonNode.Parse((await _tools.SkopeoAsync("inspect", "--tls-verify=false", $"{host}:doomed")).EnsureSuccess().Stdout)!;
        Assert.Equal(doomed.Manifest.Digest, (string?)inspect["Digest"]);
        Assert.Equal(doomed.Layers.Select(l => l.Digest), inspect["Layers"]!.AsArray().Select(l => (string)l!));
        Assert.Equal("amd64", (string?)inspect["Architecture"]);
        Assert.Equal("linux", (string?)inspect["Os"]);

        (await _tools.SkopeoAsync("delete", "--tls-verify=false", $"{host}@{doomed.Manifest.Digest}")).EnsureSuccess();

        using var http = new RegistryHttp(server);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetManifestAsync(repo, doomed.Manifest.Digest)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetManifestAsync(repo, "doomed")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetManifestAsync(repo, "also-doomed")).Status);
        var gone = await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", $"{host}:doomed");
        Assert.False(gone.Succeeded, gone.ToString());
        Assert.Contains("manifest unknown", gone.Stderr, StringComparison.OrdinalIgnoreCase);

        // The other image is untouched.
        await http.AssertManifestAsync(repo, "kept", kept.Manifest);
        Assert.Equal(["kept"], await ListTagsAsync(host));

        // Copy to another repository of the same registry (skopeo tries a cross-repository mount first).
        var other = Names.Repo("mounted");
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"{host}:kept", $"docker://{server.HostPort}/{other}:copy")).EnsureSuccess();
        await http.AssertManifestAsync(other, "copy", kept.Manifest);
        await http.AssertBlobsAsync(other, [kept.Config, .. kept.Layers]);
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Pulling_a_missing_tag_fails(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 1);
        var repo = Names.Repo("missing");
        (await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", _tools.NewLayout((image, "a")).Reference("a"),
            $"docker://{server.HostPort}/{repo}:a")).EnsureSuccess();

        var result = await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", $"docker://{server.HostPort}/{repo}:nope");
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("manifest unknown", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Where skopeo reads a fixture from: an OCI layout for OCI content; a dir: layout for Docker schema 2 content
    /// (skopeo's oci: transport only holds OCI media types).
    /// </summary>
    private string Source(IManifestFixture fixture, string tag) =>
        fixture.Manifest.MediaType is MediaTypes.OciManifest or MediaTypes.OciIndex
            ? _tools.NewLayout((fixture, tag)).Reference(tag)
            : DirLayout.Write(_tools.NewPath("dir"), fixture).Reference;

    /// <summary>Copies <paramref name="remote"/> into a fresh local layout and asserts it holds exactly <paramref name="expected"/>.</summary>
    private async Task PullBackAndCompareAsync(string remote, IManifestFixture expected, bool all, params string[] globalOptions)
    {
        string[] copy = ["copy", "--preserve-digests", "--src-tls-verify=false", .. (all ? new[] { "--all" } : [])];
        if (expected.Manifest.MediaType is MediaTypes.OciManifest or MediaTypes.OciIndex)
        {
            var back = OciLayout.Create(_tools.NewPath("back"));
            (await _tools.SkopeoAsync([.. globalOptions, .. copy, remote, back.Reference("back")])).EnsureSuccess();
            LayoutAssert.HoldsExactly(back, "back", expected);
        }
        else
        {
            var back = new DirLayout(_tools.NewPath("back"));
            (await _tools.SkopeoAsync([.. globalOptions, .. copy, remote, back.Reference])).EnsureSuccess();
            LayoutAssert.HoldsExactly(back, expected);
        }
    }

    private async Task<IReadOnlyList<string>> ListTagsAsync(string repoReference)
    {
        var list = JsonNode.Parse((await _tools.SkopeoAsync("list-tags", "--tls-verify=false", repoReference)).EnsureSuccess().Stdout)!;
        return (list["Tags"]?.AsArray() ?? []).Select(t => (string)t!).ToList();
    }

    public void Dispose() => _tools.Dispose();
}
