using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests;

/// <summary>An all-in-one Berth started without any <c>--auth</c> (token auth is its default) and two users.</summary>
public sealed class RealClientFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public Actor Alice { get; private set; } = null!;

    public Actor Bob { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync(defaultAuth: true);
        Alice = await Site.CreateUserAsync("alice");
        Bob = await Site.CreateUserAsync("bob");
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// Issue 3: real clients (podman, skopeo) against token auth, as users run them: login, push, pull with digests
/// compared, anonymous pull of a public repository, and a refused push into someone else's namespace with the
/// message clients show.
/// </summary>
public sealed class RealClientTests(RealClientFixture fixture, ITestOutputHelper output) : IClassFixture<RealClientFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    private Site Site => fixture.Site;

    private Actor Alice => fixture.Alice;

    private Actor Bob => fixture.Bob;

    [Fact]
    public async Task The_all_in_one_server_uses_token_auth_by_default()
    {
        using var response = await Site.Http.GetAsync("v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Bearer realm=\"{Site.Realm}\",service=\"{Site.Service}\"", Expect.Challenge(response));
    }

    [Fact]
    public async Task Podman_logs_in_pushes_and_pulls_with_the_same_digests()
    {
        var image = _factory.CreateImage(layers: 2);
        var source = _tools.NewLayout((image, "v1"));
        var repo = $"{Alice.Name}/podman";
        var remote = $"{Site.HostPort}/{repo}:v1";
        (await _tools.PodmanAsync("pull", "-q", source.Reference("v1"))).EnsureSuccess();

        var wrong = await _tools.PodmanAsync("login", "--tls-verify=false", "-u", Alice.Name!, "-p", "not-the-password", Site.HostPort);
        output.WriteLine($"podman login with a wrong password: {Clients.AssertRefused(wrong)}");

        var login = (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", Alice.Name!, "-p", Alice.Secret!, Site.HostPort)).EnsureSuccess();
        Assert.Contains("Login Succeeded", login.Stdout + login.Stderr, StringComparison.OrdinalIgnoreCase);

        var digestFile = Path.Combine(_tools.Root, "pushed.digest");
        (await _tools.PodmanAsync("push", "--tls-verify=false", "--format", "oci", "--digestfile", digestFile, image.Config.Hex, $"docker://{remote}")).EnsureSuccess();
        var pushed = File.ReadAllText(digestFile).Trim();

        // What landed is what podman reported, config and layers included.
        var (status, manifest) = await V2.GetAsync(Alice.Registry, $"v2/{repo}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(pushed, Blob.Sha256Digest(manifest));
        Assert.Equal(image.Config.Digest, (string?)JsonNode.Parse(manifest)!["config"]!["digest"]);

        (await _tools.PodmanAsync("rmi", "--all", "--force")).EnsureSuccess();
        (await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote)).EnsureSuccess();
        var inspect = JsonNode.Parse((await _tools.PodmanAsync("image", "inspect", remote)).EnsureSuccess().Stdout)![0]!;
        Assert.Equal(pushed, (string?)inspect["Digest"]);
        Assert.Equal(image.Config.Hex, (string?)inspect["Id"]);
        Assert.Equal(image.DiffIds, inspect["RootFS"]!["Layers"]!.AsArray().Select(l => (string)l!));

        // Logged out, the private repository is closed.
        (await _tools.PodmanAsync("logout", Site.HostPort)).EnsureSuccess();
        (await _tools.PodmanAsync("rmi", "--all", "--force")).EnsureSuccess();
        var anonymous = await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote);
        output.WriteLine($"podman pull of a private repository, logged out: {Clients.AssertRefused(anonymous)}");
    }

    [Fact]
    public async Task Skopeo_copies_with_credentials_keep_every_byte()
    {
        var image = _factory.CreateImage(layers: 3);
        var repo = $"{Alice.Name}/skopeo";
        var remote = $"docker://{Site.HostPort}/{repo}:v1";
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", $"{Alice.Name}:{Alice.Secret}",
            _tools.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", $"{Alice.Name}:{Alice.Secret}",
            remote, back.Reference("v1"))).EnsureSuccess();
        Clients.AssertHoldsExactly(back, "v1", image);

        var inspect = JsonNode.Parse((await _tools.SkopeoAsync("inspect", "--tls-verify=false", "--creds", $"{Alice.Name}:{Alice.Secret}", remote)).EnsureSuccess().Stdout)!;
        Assert.Equal(image.Manifest.Digest, (string?)inspect["Digest"]);

        // Private: neither anonymous nor another user can read it, nor does a wrong password help.
        output.WriteLine($"skopeo, anonymous: {Clients.AssertRefused(await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--no-creds", remote))}");
        output.WriteLine($"skopeo, other user: {Clients.AssertRefused(await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", $"{Bob.Name}:{Bob.Secret}", remote))}");
        output.WriteLine($"skopeo, wrong password: {Clients.AssertRefused(await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", $"{Alice.Name}:nope-nope", remote))}");
    }

    [Fact]
    public async Task Anyone_can_pull_a_public_repository_anonymously_but_not_push_to_it()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = $"{Alice.Name}/public-app";
        var remote = $"docker://{Site.HostPort}/{repo}:v1";
        await V2.PushImageAsync(Alice.Registry, repo, image, "v1");
        var back = OciLayout.Create(_tools.NewPath("private"));
        Clients.AssertRefused(await _tools.SkopeoAsync("copy", "--src-tls-verify=false", "--src-no-creds", remote, back.Reference("v1")));

        using (var patch = await Alice.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = "public" }))
        {
            await Expect.StatusAsync(patch, HttpStatusCode.OK);
        }

        var pulled = OciLayout.Create(_tools.NewPath("public"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-no-creds", remote, pulled.Reference("v1"))).EnsureSuccess();
        Clients.AssertHoldsExactly(pulled, "v1", image);
        var tags = JsonNode.Parse((await _tools.SkopeoAsync("list-tags", "--tls-verify=false", "--no-creds", $"docker://{Site.HostPort}/{repo}")).EnsureSuccess().Stdout)!;
        Assert.Equal(["v1"], tags["Tags"]!.AsArray().Select(t => (string)t!));

        // Public means readable, not writable.
        var other = _factory.CreateImage(layers: 1);
        var push = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-no-creds", _tools.NewLayout((other, "x")).Reference("x"), $"docker://{Site.HostPort}/{repo}:anonymous");
        output.WriteLine($"anonymous push to a public repository: {Clients.AssertRefused(push)}");
        var bobPush = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{Bob.Name}:{Bob.Secret}", _tools.NewLayout((other, "x")).Reference("x"), $"docker://{Site.HostPort}/{repo}:bob");
        output.WriteLine($"other user's push to a public repository: {Clients.AssertRefused(bobPush)}");
        Assert.Equal(["v1"], (await TagsAsync(repo)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Pushing_into_someone_elses_namespace_is_denied_with_the_message_clients_show()
    {
        var mine = _factory.CreateImage(layers: 1);
        var repo = $"{Alice.Name}/guarded";
        await V2.PushImageAsync(Alice.Registry, repo, mine, "v1");
        var intruder = _factory.CreateImage(layers: 1);
        var source = _tools.NewLayout((intruder, "x"));

        // skopeo with Bob's valid credentials, into Alice's existing repository and into a free name in her namespace.
        foreach (var target in new[] { $"{repo}:evil", $"{Alice.Name}/fresh-name:evil" })
        {
            var result = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{Bob.Name}:{Bob.Secret}",
                source.Reference("x"), $"docker://{Site.HostPort}/{target}");
            output.WriteLine($"skopeo push to {target} as {Bob.Name}: {Clients.AssertRefused(result)}");
        }

        // podman, logged in as Bob.
        (await _tools.PodmanAsync("pull", "-q", source.Reference("x"))).EnsureSuccess();
        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", Bob.Name!, "-p", Bob.Secret!, Site.HostPort)).EnsureSuccess();
        var podman = await _tools.PodmanAsync("push", "--tls-verify=false", intruder.Config.Hex, $"docker://{Site.HostPort}/{repo}:evil");
        output.WriteLine($"podman push as {Bob.Name}: {Clients.AssertRefused(podman)}");

        // Nothing of it landed: Alice's repository is as she left it, the free name is still free.
        Assert.Equal(["v1"], await TagsAsync(repo));
        Assert.Equal(HttpStatusCode.NotFound, (await V2.GetAsync(Alice.Registry, $"v2/{repo}/blobs/{intruder.Layers[0].Digest}")).Status);
        using var fresh = await Alice.SendAsync(HttpMethod.Get, $"api/v1/repositories/{Alice.Name}/fresh-name");
        Assert.Equal(HttpStatusCode.NotFound, fresh.StatusCode);
    }

    private async Task<List<string>> TagsAsync(string repo)
    {
        var (status, body) = await V2.GetAsync(Alice.Registry, $"v2/{repo}/tags/list");
        Assert.Equal(HttpStatusCode.OK, status);
        return (JsonNode.Parse(body)!["tags"]?.AsArray() ?? []).Select(t => (string)t!).ToList();
    }

    public void Dispose() => _tools.Dispose();
}
