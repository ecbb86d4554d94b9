using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// What berth says to a user (issue 14, CLI findings): a permission denial with valid credentials is not "log in"; an
/// anonymous caller is told to log in; <c>rm REPO:TAG</c> removes only that tag; inspect's layer size is the layers'
/// own; counts agree with their nouns. Against a real Berth with token auth and two accounts.
/// </summary>
public sealed class CliMessagesTests : IAsyncLifetime, IDisposable
{
    private const string Password = "cli-messages-pass";
    private readonly Sandbox _alice = new();
    private readonly Sandbox _bob = new();
    private readonly Sandbox _anonymous = new();
    private readonly ImageFactory _factory = new();
    private RegistryServer? _server;

    private string Host => _server!.HostPort;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(RegistryKind.Berth,
            extraArgs: ["--auth", "token", "--admin-password", "cli-messages-admin", "--Berth:BcryptWorkFactor", "4"]);
        using var http = new HttpClient { BaseAddress = _server.BaseUri };
        foreach (var user in new[] { "alice", "bob" })
        {
            using var created = await http.PostAsJsonAsync("api/v1/users", new { name = user, password = Password });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        (await _alice.BerthAsync("login", Host, "-u", "alice", "-p", Password)).EnsureSuccess();
        (await _bob.BerthAsync("login", Host, "-u", "bob", "-p", Password)).EnsureSuccess();
    }

    [Fact]
    public async Task A_denial_with_valid_credentials_says_access_denied_and_anonymous_callers_are_told_to_log_in()
    {
        var image = _factory.CreateImage(layers: 1);
        var remote = $"{Host}/alice/private-app:v1";
        (await _alice.BerthAsync("push", _alice.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var bobPull = await _bob.BerthAsync("pull", remote, $"oci:{_bob.NewPath("pulled")}:v1");
        Assert.Equal(3, bobPull.ExitCode);
        Assert.Contains("access denied: bob may not do this here", bobPull.Stderr);
        Assert.DoesNotContain("berth login", bobPull.Stderr);

        var bobPush = await _bob.BerthAsync("push", _bob.NewLayout((image, "v1")).Reference("v1"), $"{Host}/alice/planted:v1");
        Assert.Equal(3, bobPush.ExitCode);
        Assert.Contains("access denied: bob may not do this here", bobPush.Stderr);

        var anonymousPull = await _anonymous.BerthAsync("pull", remote, $"oci:{_anonymous.NewPath("pulled")}:v1");
        Assert.Equal(3, anonymousPull.ExitCode);
        Assert.Contains($"authentication required: run `berth login {Host}`", anonymousPull.Stderr);
    }

    [Fact]
    public async Task Rm_of_a_tag_removes_that_tag_only_and_rm_manifest_removes_the_manifest_with_its_tags()
    {
        var image = _factory.CreateImage(layers: 2);
        var repo = $"{Host}/alice/rm-app";
        (await _alice.BerthAsync("push", _alice.NewLayout((image, "v1")).Reference("v1"), $"{repo}:v1")).EnsureSuccess();
        (await _alice.BerthAsync("tag", $"{repo}:v1", "v2", "latest")).EnsureSuccess();

        var untagged = (await _alice.BerthAsync("rm", $"{repo}:v2")).EnsureSuccess();
        Assert.Contains($"untagged {repo}:v2", untagged.Stdout);
        Assert.Equal(["latest", "v1"], Lines((await _alice.BerthAsync("tags", repo)).EnsureSuccess().Stdout));
        Assert.Equal(image.Manifest.Digest, (await _alice.BerthAsync("inspect", "-q", $"{repo}:v1")).EnsureSuccess().Stdout.Trim());

        var deleted = JsonNode.Parse((await _alice.BerthAsync("rm", "--json", "--manifest", $"{repo}:v1")).EnsureSuccess().Stdout)!;
        Assert.Equal("manifest", (string?)deleted[0]!["deleted"]);
        Assert.Equal(image.Manifest.Digest, (string?)deleted[0]!["digest"]);
        Assert.Empty(Lines((await _alice.BerthAsync("tags", repo)).EnsureSuccess().Stdout));
        Assert.Equal(4, (await _alice.BerthAsync("inspect", $"{repo}@{image.Manifest.Digest}")).ExitCode);
    }

    [Fact]
    public async Task Inspect_sizes_the_layers_alone_and_counts_agree_with_their_nouns()
    {
        // Small enough for the size to print in bytes.
        var image = _factory.CreateImage(layers: 1, filesPerLayer: 1, maxFileBytes: 64);
        var remote = $"{Host}/alice/sizes:v1";
        (await _alice.BerthAsync("push", _alice.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var human = (await _alice.BerthAsync("inspect", remote)).EnsureSuccess().Stdout;
        var layer = image.Layers.Single().Size;
        Assert.Contains($"Layers:     1 layer, {layer} B", human);
        Assert.Contains("with config and manifest", human);
        var json = JsonNode.Parse((await _alice.BerthAsync("inspect", "--json", remote)).EnsureSuccess().Stdout)!;
        Assert.Equal(layer, (long)json["layersSize"]!);
        Assert.Equal(layer + image.Config.Size + image.Manifest.Size, (long)json["totalSize"]!);

        // An image of a config alone: one blob to push.
        var empty = _factory.CreateImage(layers: 0);
        var pushed = (await _alice.BerthAsync("push", _alice.NewLayout((empty, "v1")).Reference("v1"), $"{Host}/alice/config-only:v1")).EnsureSuccess();
        Assert.Contains("1 blob pushed", pushed.Stdout + pushed.Stderr);
        Assert.DoesNotContain("1 blobs", pushed.Stdout + pushed.Stderr);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _anonymous.Dispose();
    }
}
