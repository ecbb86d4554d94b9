using Berth.Mirror;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Mirror.Tests;

/// <summary>Which stored name maps to which upstream repository, and what the edge makes of ?ns=.</summary>
public sealed class MirrorRouterTests
{
    private static Upstream Make(string? name, string? officialPrefix = null) =>
        new(new UpstreamOptions { Name = name, Url = "https://upstream.example", OfficialPrefix = officialPrefix }, NullLoggerFactory.Instance, TimeProvider.System);

    [Fact]
    public void A_single_upstream_mirrors_every_name_unchanged_with_its_official_prefix_for_one_component_names()
    {
        var router = new MirrorRouter([Make(null, "library")]);
        Assert.Equal("library/alpine", router.Resolve("alpine")!.Repository);
        Assert.Equal("team/app", router.Resolve("team/app")!.Repository);
        Assert.Equal("team/app", router.WithNamespace("team/app", "docker.io"));
    }

    [Fact]
    public void Named_upstreams_take_their_prefix_and_ns_and_other_names_stay_local()
    {
        var router = new MirrorRouter([Make("docker.io", "library/"), Make("quay.io")]);
        var hub = router.Resolve("docker.io/alpine")!;
        Assert.Equal("docker.io", hub.Upstream.Name);
        Assert.Equal("library/alpine", hub.Repository);
        Assert.Equal("library/alpine", router.Resolve("docker.io/library/alpine")!.Repository);
        Assert.Equal("coreos/etcd", router.Resolve("quay.io/coreos/etcd")!.Repository);
        Assert.Null(router.Resolve("team/app"));
        Assert.Null(router.Resolve("docker.io"));

        Assert.Equal("docker.io/library/alpine", router.WithNamespace("library/alpine", "docker.io"));
        Assert.Equal("docker.io/library/alpine", router.WithNamespace("docker.io/library/alpine", "docker.io"));
        Assert.Equal("library/alpine", router.WithNamespace("library/alpine", "ghcr.io"));
        Assert.Equal("library/alpine", router.WithNamespace("library/alpine", null));
    }

    [Theory]
    [InlineData(null, "ftp://x", "not an absolute http(s) URL")]
    [InlineData("Docker.IO", "https://x", "lower-case")]
    [InlineData("a/b", "https://x", "one lower-case")]
    [InlineData(null, "https://user:pw@x", "without credentials")]
    public void Bad_configurations_are_refused_at_start(string? name, string url, string problem)
    {
        Assert.Contains(problem, MirrorValidation.Problem([new UpstreamOptions { Name = name, Url = url }]), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_unnamed_or_twice_named_upstreams_are_refused()
    {
        Assert.NotNull(MirrorValidation.Problem([new UpstreamOptions { Url = "https://a" }, new UpstreamOptions { Url = "https://b" }]));
        Assert.NotNull(MirrorValidation.Problem([new UpstreamOptions { Name = "a.io", Url = "https://a" }, new UpstreamOptions { Name = "a.io", Url = "https://b" }]));
        Assert.Null(MirrorValidation.Problem([new UpstreamOptions { Url = "https://a" }, new UpstreamOptions { Name = "a.io", Url = "https://b" }]));
    }
}
