namespace Berth.Interop.Tests;

/// <summary>umoci, an independent OCI implementation, unpacks our fixtures and what a registry served back.</summary>
public sealed class UmociTests(RegistryFixture registries) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task Fixture_layout_unpacks_to_the_files_that_were_generated()
    {
        var image = _factory.CreateImage(layers: 3);
        var layout = _tools.NewLayout((image, "v1"));
        await AssertUnpacksToAsync(layout, "v1", image);
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Image_pulled_from_the_registry_unpacks_to_the_same_files(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 2);
        var remote = $"docker://{server.HostPort}/{Names.Repo("umoci")}:v1";
        (await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", _tools.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var pulled = OciLayout.Create(_tools.NewPath("pulled"));
        (await _tools.SkopeoAsync("copy", "--src-tls-verify=false", remote, pulled.Reference("v1"))).EnsureSuccess();
        await AssertUnpacksToAsync(pulled, "v1", image);
    }

    private async Task AssertUnpacksToAsync(OciLayout layout, string tag, ImageFixture image)
    {
        var bundle = _tools.NewPath("bundle");
        (await Cli.RunAsync("umoci", ["unpack", "--image", $"{layout.Path}:{tag}", bundle], ToolSandbox.Timeout, _tools.Environment)).EnsureSuccess();
        var rootfs = Path.Combine(bundle, "rootfs");
        var expected = image.LayerFiles.SelectMany(f => f).ToDictionary(f => f.Key, f => f.Value);
        var actual = Directory.EnumerateFiles(rootfs, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(rootfs, f).Replace('\\', '/'), File.ReadAllBytes);
        LayoutAssert.SameFiles(expected, actual);
    }

    public void Dispose() => _tools.Dispose();
}
