using Berth.Client.References;
using Berth.Client.Transfer;

namespace Berth.Client.Tests;

/// <summary>Image references and skopeo-style locations parse as users write them, and bad ones say why.</summary>
public sealed class ReferenceTests
{
    [Theory]
    [InlineData("127.0.0.1:5000/team/app:v1", "127.0.0.1:5000", "team/app", "v1", null)]
    [InlineData("localhost/app", "localhost", "app", null, null)]
    [InlineData("registry.example.com/a/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registry.example.com", "a/b/c", null,
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("docker://host.local:443/app:1.0", "host.local:443", "app", "1.0", null)]
    [InlineData("[::1]:5000/app:x", "[::1]:5000", "app", "x", null)]
    public void Registry_references_parse(string text, string registry, string repository, string? tag, string? digest)
    {
        Assert.True(ImageReference.TryParse(text, out var reference, out var error), error);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest?.ToString());
    }

    [Theory]
    [InlineData("app:v1", "names no registry")]
    [InlineData("team/app", "names no registry")]
    [InlineData("./dir/app", "names no registry")]
    [InlineData("host:5000/Team/App", "not a valid repository name")]
    [InlineData("host:5000/app:-bad", "not a valid tag")]
    [InlineData("host:5000/app@sha256:abc", "not a valid digest")]
    [InlineData("", "empty")]
    public void Bad_references_say_why(string text, string reason)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("registry.example.com", false)]
    public void Loopback_registries_get_plain_http(string registry, bool loopback)
    {
        Assert.Equal(loopback, ImageReference.IsLoopbackHost(registry));
        Assert.Equal(loopback ? "http" : "https", Registry.RegistryClients.BaseUriFor(registry, plainHttp: false).Scheme);
    }

    [Theory]
    [InlineData("oci:/tmp/layout:v1", LocationKind.OciLayout, "/tmp/layout", "v1")]
    [InlineData("oci:/tmp/layout", LocationKind.OciLayout, "/tmp/layout", null)]
    [InlineData("oci:/tmp/a:b/layout", LocationKind.OciLayout, "/tmp/a:b/layout", null)]
    [InlineData("oci-archive:img.tar:latest", LocationKind.OciArchive, "img.tar", "latest")]
    [InlineData("docker-archive:img.tar", LocationKind.DockerArchive, "img.tar", null)]
    [InlineData("docker-archive:img.tar:127.0.0.1:5000/app:v1", LocationKind.DockerArchive, "img.tar", "127.0.0.1:5000/app:v1")]
    public void Transports_parse_like_skopeo(string text, LocationKind kind, string path, string? tag)
    {
        Assert.True(ImageLocation.TryParse(text, out var location, out var error), error);
        Assert.Equal(kind, location.Kind);
        Assert.Equal(path, location.Path);
        Assert.Equal(tag, location.Tag);
    }

    [Fact]
    public void Foreign_transports_are_refused_by_name()
    {
        Assert.False(ImageLocation.TryParse("containers-storage:app", out _, out var error));
        Assert.Contains("containers-storage:", error);
    }

    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/arm64/v8", "linux", "arm64", "v8")]
    public void Platforms_parse(string text, string os, string architecture, string? variant)
    {
        var platform = PlatformSpec.Parse(text);
        Assert.Equal((os, architecture, variant), (platform.Os, platform.Architecture, platform.Variant));
        Assert.Throws<FormatException>(() => PlatformSpec.Parse("amd64"));
    }
}
