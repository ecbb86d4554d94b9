using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// berth against Berth's own token service (role all, <c>--auth token</c>): the Docker token handshake end to end with
/// real signed tokens, account passwords, private-by-default repositories and cross-repository mounts.
/// </summary>
public sealed class BerthTokenAuthTests : IAsyncLifetime, IDisposable
{
    private const string AdminPassword = "berth-client-admin";
    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();
    private RegistryServer? _server;

    private RegistryServer Server => _server!;

    public async Task InitializeAsync() =>
        _server = await RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: ["--auth", "token", "--admin-password", AdminPassword]);

    [Fact]
    public async Task Login_push_pull_copy_and_delete_with_bearer_tokens()
    {
        var image = _factory.CreateImage(layers: 3);
        var repo = $"admin/{Names.Repo("token").Replace('/', '-')}";
        var remote = $"{Server.HostPort}/{repo}:v1";

        var anonymous = await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote);
        Assert.Equal(3, anonymous.ExitCode);
        var wrong = await _sandbox.BerthAsync("login", Server.HostPort, "-u", "admin", "-p", "not-it");
        Assert.Equal(3, wrong.ExitCode);

        (await _sandbox.BerthAsync("login", Server.HostPort, "-u", "admin", "-p", AdminPassword)).EnsureSuccess();
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        (await _sandbox.BerthAsync("pull", remote, $"oci:{pulled.Path}:v1")).EnsureSuccess();
        Clients.AssertLayoutHolds(pulled, "v1", image);
        Assert.Equal("v1", (await _sandbox.BerthAsync("tags", $"{Server.HostPort}/{repo}")).EnsureSuccess().Stdout.Trim());

        // A mount needs pull on the source as well as push on the target: both scopes in one token.
        var copy = $"{Server.HostPort}/{repo}-copy:v1";
        var copied = JsonNode.Parse((await _sandbox.BerthAsync("copy", "--json", remote, copy)).EnsureSuccess().Stdout)!;
        Assert.Equal(4, (int)copied["blobs"]!["mounted"]!);

        // Private by default: after logout the repository is not there for us.
        (await _sandbox.BerthAsync("logout", Server.HostPort)).EnsureSuccess();
        var hidden = await _sandbox.BerthAsync("inspect", remote);
        Assert.Contains(hidden.ExitCode, new[] { 3, 4 });

        (await _sandbox.BerthAsync("rm", "--manifest", "--creds", $"admin:{AdminPassword}", copy)).EnsureSuccess();
        Assert.Equal(4, (await _sandbox.BerthAsync("inspect", "--creds", $"admin:{AdminPassword}", copy)).ExitCode);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose() => _sandbox.Dispose();
}
