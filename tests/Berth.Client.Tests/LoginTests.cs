using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>berth login/logout share credentials with podman and skopeo in both directions (Basic auth, htpasswd registry).</summary>
public sealed class LoginTests : IDisposable
{
    private const string User = "alice";
    private const string Password = "correct horse";
    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();
    private readonly string _htpasswd;

    public LoginTests()
    {
        _htpasswd = Path.Combine(_sandbox.Root, "htpasswd");
        File.WriteAllText(_htpasswd, $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, 6)}\n");
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Berth_login_is_used_by_podman_and_podman_login_by_berth(RegistryKind kind)
    {
        await using var server = await RegistryServer.StartAsync(kind, _htpasswd);
        var image = _factory.CreateImage(layers: 1);
        var remote = $"{server.HostPort}/{Names.Repo("login")}:v1";

        var wrong = await _sandbox.BerthAsync("login", server.HostPort, "-u", User, "-p", "wrong");
        Assert.Equal(3, wrong.ExitCode);
        Assert.False(File.Exists(Path.Combine(_sandbox.DockerConfig, "config.json")));

        (await _sandbox.BerthAsync("login", server.HostPort, "-u", User, "-p", Password)).EnsureSuccess();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_sandbox.DockerConfig, "config.json")))!;
        Assert.NotNull(config["auths"]![server.HostPort]!["auth"]);
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();
        // podman and skopeo find berth's login in the docker config.
        (await _sandbox.PodmanAsync("pull", "--tls-verify=false", remote)).EnsureSuccess();
        (await _sandbox.SkopeoAsync("inspect", "--tls-verify=false", $"docker://{remote}")).EnsureSuccess();

        (await _sandbox.BerthAsync("logout", server.HostPort)).EnsureSuccess();
        Assert.Equal(3, (await _sandbox.BerthAsync("tags", remote.Split(':')[0] + ":" + remote.Split(':')[1])).ExitCode);

        // The reverse: podman logs in (to its auth.json), berth uses it.
        (await _sandbox.PodmanAsync("login", "--tls-verify=false", "-u", User, "-p", Password, server.HostPort)).EnsureSuccess();
        Assert.Contains(server.HostPort, File.ReadAllText(_sandbox.AuthFile));
        var tags = (await _sandbox.BerthAsync("tags", remote[..remote.LastIndexOf(':')])).EnsureSuccess();
        Assert.Equal("v1", tags.Stdout.Trim());
    }

    public void Dispose() => _sandbox.Dispose();
}
