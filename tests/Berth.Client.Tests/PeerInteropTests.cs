using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// The berth executable with real peers, against Berth and Distribution 2.8.2: what berth pushes, skopeo pulls with the
/// same digests (and the reverse); what berth pulls, umoci unpacks and podman loads.
/// </summary>
public sealed class PeerInteropTests(Registries registries) : IClassFixture<Registries>, IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Berth, ManifestFormat.Docker)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Docker)]
    public async Task Berth_push_then_skopeo_pull_gives_identical_digests(RegistryKind kind, ManifestFormat format)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 3, format: format);
        var remote = $"{server.HostPort}/{Names.Repo("push")}:v1";

        var push = (await _sandbox.BerthAsync("push", "--json", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();
        Assert.Equal(image.Manifest.Digest, (string?)JsonNode.Parse(push.Stdout)!["digest"]);

        // dir: keeps Docker manifests as they are (skopeo's oci: would convert them).
        var copy = new DirLayout(_sandbox.NewPath("skopeo"));
        (await _sandbox.SkopeoAsync("copy", "--src-tls-verify=false", $"docker://{remote}", copy.Reference)).EnsureSuccess();
        Assert.Equal(image.Manifest.Bytes, copy.ReadManifest());
        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            Assert.Equal(blob.Bytes, copy.ReadBlob(blob.Digest));
        }
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Skopeo_push_then_berth_pull_gives_a_layout_skopeo_and_umoci_accept(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var index = _factory.CreateIndex();
        var remote = $"{server.HostPort}/{Names.Repo("pull")}:multi";
        (await _sandbox.SkopeoAsync("copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
            _sandbox.NewLayout((index, "multi")).Reference("multi"), $"docker://{remote}")).EnsureSuccess();

        var all = OciLayout.Create(_sandbox.NewPath("all"));
        (await _sandbox.BerthAsync("pull", "--all-platforms", remote, $"oci:{all.Path}")).EnsureSuccess();
        Clients.AssertLayoutHolds(all, "multi", index);
        var inspect = (await _sandbox.SkopeoAsync("inspect", "--raw", all.Reference("multi"))).EnsureSuccess();
        Assert.Equal(index.Manifest.Bytes, System.Text.Encoding.UTF8.GetBytes(inspect.Stdout));

        var amd = _sandbox.NewPath("amd");
        (await _sandbox.BerthAsync("pull", "--platform", "linux/amd64", remote, $"oci:{amd}:amd")).EnsureSuccess();
        var image = index.Images.Single(i => i.Platform.Architecture == "amd64");
        Clients.AssertLayoutHolds(new OciLayout(amd), "amd", image);
        var bundle = _sandbox.NewPath("bundle");
        (await Cli.RunAsync("umoci", ["unpack", "--image", $"{amd}:amd", bundle], Sandbox.Timeout, _sandbox.Environment)).EnsureSuccess();
        foreach (var (path, content) in image.LayerFiles.SelectMany(f => f))
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(bundle, "rootfs", path)));
        }
    }

    [Fact]
    public async Task Docker_archive_from_berth_loads_into_podman_and_podman_save_pushes_back()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = _factory.CreateImage(layers: 2, format: ManifestFormat.Docker);
        var repo = Names.Repo("archive");
        var remote = $"{server.HostPort}/{repo}:v1";
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var archive = _sandbox.NewPath("image") + ".tar";
        (await _sandbox.BerthAsync("pull", remote, archive)).EnsureSuccess();
        var load = (await _sandbox.PodmanAsync("load", "-i", archive)).EnsureSuccess();
        Assert.Contains(remote, load.Stdout + load.Stderr);
        var id = (await _sandbox.PodmanAsync("image", "inspect", "--format", "{{.Id}}", remote)).EnsureSuccess().Stdout.Trim();
        Assert.Equal(image.Config.Hex, id);

        // podman save → berth push: the layers are compressed anew, but the image (config, diff_ids) is the same.
        var saved = _sandbox.NewPath("saved") + ".tar";
        (await _sandbox.PodmanAsync("save", "--format", "docker-archive", "-o", saved, remote)).EnsureSuccess();
        var again = $"{server.HostPort}/{repo}:from-podman";
        (await _sandbox.BerthAsync("push", $"docker-archive:{saved}", again)).EnsureSuccess();
        var config = (await _sandbox.SkopeoAsync("inspect", "--tls-verify=false", "--config", "--raw", $"docker://{again}")).EnsureSuccess();
        Assert.Equal(image.DiffIds, JsonNode.Parse(config.Stdout)!["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string)d!).ToList());
    }

    [Fact]
    public async Task From_dir_images_are_reproducible_and_runnable_by_peers()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var tree = _sandbox.NewPath("tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllBytes(Path.Combine(tree, "etc", "data.bin"), _factory.RandomBytes(200_000));
        File.WriteAllText(Path.Combine(tree, "hello.txt"), "hello\n");
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "hello.txt");
        var repo = Names.Repo("fromdir");

        var first = (await _sandbox.BerthAsync("push", "-q", "--from-dir", tree, $"{server.HostPort}/{repo}:a")).EnsureSuccess().Stdout.Trim();
        File.SetLastWriteTimeUtc(Path.Combine(tree, "hello.txt"), DateTime.UtcNow.AddDays(-3));
        var second = (await _sandbox.BerthAsync("push", "-q", "--from-dir", tree, $"{server.HostPort}/{repo}:b")).EnsureSuccess().Stdout.Trim();
        Assert.StartsWith("sha256:", first);
        Assert.Equal(first, second);

        var layout = _sandbox.NewPath("layout");
        (await _sandbox.SkopeoAsync("copy", "--src-tls-verify=false", $"docker://{server.HostPort}/{repo}:a", $"oci:{layout}:a")).EnsureSuccess();
        var bundle = _sandbox.NewPath("bundle");
        (await Cli.RunAsync("umoci", ["unpack", "--image", $"{layout}:a", bundle], Sandbox.Timeout, _sandbox.Environment)).EnsureSuccess();
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "hello.txt")));
        Assert.Equal("hello.txt", new FileInfo(Path.Combine(bundle, "rootfs", "link")).LinkTarget);
    }

    [Fact]
    public async Task Copy_between_registries_streams_and_within_one_mounts()
    {
        var berth = await registries.GetAsync(RegistryKind.Berth);
        var distribution = await registries.GetAsync(RegistryKind.Distribution);
        var index = _factory.CreateIndex(layersPerImage: 2);
        var source = $"{berth.HostPort}/{Names.Repo("src")}:multi";
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((index, "multi")).Reference("multi"), source)).EnsureSuccess();

        var across = $"{distribution.HostPort}/{Names.Repo("dst")}:multi";
        var copied = JsonNode.Parse((await _sandbox.BerthAsync("copy", "--json", source, across)).EnsureSuccess().Stdout)!;
        Assert.Equal(index.Manifest.Digest, (string?)copied["digest"]);
        Assert.Equal(9, (int)copied["blobs"]!["transferred"]!);
        var raw = (await _sandbox.SkopeoAsync("inspect", "--tls-verify=false", "--raw", $"docker://{across}")).EnsureSuccess();
        Assert.Equal(index.Manifest.Bytes, System.Text.Encoding.UTF8.GetBytes(raw.Stdout));

        var within = $"{berth.HostPort}/{Names.Repo("mounted")}:multi";
        var mounted = JsonNode.Parse((await _sandbox.BerthAsync("copy", "--json", source, within)).EnsureSuccess().Stdout)!;
        Assert.Equal((0, 9), ((int)mounted["blobs"]!["transferred"]!, (int)mounted["blobs"]!["mounted"]!));
        Assert.Equal(0, (long)mounted["bytes"]!);
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Tags_catalog_inspect_tag_and_rm(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 2);
        var repo = Names.Repo("manage");
        var remote = $"{server.HostPort}/{repo}";
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), $"{remote}:v1")).EnsureSuccess();

        (await _sandbox.BerthAsync("tag", $"{remote}:v1", "v2", "latest")).EnsureSuccess();
        Assert.Equal(["latest", "v1", "v2"], (await _sandbox.BerthAsync("tags", remote)).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(repo, (await _sandbox.BerthAsync("catalog", server.HostPort)).EnsureSuccess().Stdout.Split('\n'));

        var inspect = JsonNode.Parse((await _sandbox.BerthAsync("inspect", "--json", $"{remote}:v2")).EnsureSuccess().Stdout)!;
        Assert.Equal(image.Manifest.Digest, (string?)inspect["digest"]);
        Assert.Equal("amd64", (string?)inspect["architecture"]);
        Assert.Equal(image.Layers.Select(l => l.Size), inspect["layers"]!.AsArray().Select(l => (long)l!["size"]!));
        var human = (await _sandbox.BerthAsync("inspect", $"{remote}:v2")).EnsureSuccess().Stdout;
        Assert.Contains("Platform:   linux/amd64", human);

        var other = $"{server.HostPort}/{Names.Repo("retag")}:copy";
        (await _sandbox.BerthAsync("tag", $"{remote}:v1", other)).EnsureSuccess();
        Assert.Equal(image.Manifest.Digest, (await _sandbox.BerthAsync("inspect", "-q", other)).EnsureSuccess().Stdout.Trim());

        // One tag alone: Berth removes it and keeps the rest; Distribution 2.8.2 cannot, and nothing is lost.
        var untag = await _sandbox.BerthAsync("rm", $"{remote}:latest");
        if (kind == RegistryKind.Berth)
        {
            untag.EnsureSuccess();
            Assert.Equal(["v1", "v2"], (await _sandbox.BerthAsync("tags", remote)).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        else
        {
            Assert.Equal(1, untag.ExitCode);
            Assert.Contains("cannot delete a single tag", untag.Stderr);
            Assert.Equal(["latest", "v1", "v2"], (await _sandbox.BerthAsync("tags", remote)).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        var removed = (await _sandbox.BerthAsync("rm", "-q", "--manifest", $"{remote}:v2")).EnsureSuccess();
        Assert.Equal(image.Manifest.Digest, removed.Stdout.Trim());
        var gone = await _sandbox.BerthAsync("inspect", $"{remote}:v1");
        Assert.Equal(4, gone.ExitCode);
        Assert.Contains("not found", gone.Stderr);
    }

    [Fact]
    public async Task Errors_say_what_failed_with_documented_exit_codes()
    {
        var usage = await _sandbox.BerthAsync("push", "oci:/nonexistent:v1");
        Assert.Equal(2, usage.ExitCode);
        var noRegistry = await _sandbox.BerthAsync("pull", "app:v1", "oci:/tmp/x");
        Assert.Equal(2, noRegistry.ExitCode);
        Assert.Contains("names no registry", noRegistry.Stderr);
        var unreachable = await _sandbox.BerthAsync("tags", "--retries", "1", "127.0.0.1:1/app");
        Assert.Equal(6, unreachable.ExitCode);
        Assert.Contains("cannot reach", unreachable.Stderr);
        var missing = await _sandbox.BerthAsync("push", "oci:/nonexistent-layout:v1", "127.0.0.1:1/app:v1");
        Assert.Equal(4, missing.ExitCode);
    }

    public void Dispose() => _sandbox.Dispose();
}
