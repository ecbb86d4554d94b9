namespace Berth.Interop.Tests;

/// <summary>
/// A Berth origin with token auth (repositories private by default) and a Berth mirror configured for it under the
/// upstream name <see cref="Upstream"/> with the origin admin's credentials, reaching it through a
/// <see cref="CountingForwarder"/>; shared by the tests of a class (each pushes its own repository).
/// </summary>
public sealed class MirrorPrivateOrigin : IAsyncLifetime
{
    /// <summary>The name clients use for the origin (it resolves nowhere: only the mirror can serve it).</summary>
    public const string Upstream = "origin.test";

    public const string AdminPassword = "Adm1nPassw0rd!";

    public RegistryServer Origin { get; private set; } = null!;

    public CountingForwarder ToOrigin { get; private set; } = null!;

    public RegistryServer Mirror { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Both start at once (a start takes seconds on a loaded machine): the mirror needs only the origin's address.
        var originPort = RegistryServer.FreeLoopbackPort();
        ToOrigin = await CountingForwarder.StartAsync(new Uri($"http://127.0.0.1:{originPort}/"));
        var origin = RegistryServer.StartAsync(port: originPort, extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        var mirror = RegistryServer.StartAsync(extraArgs:
        [
            "--Berth:Mirrors:0:Name", Upstream,
            "--Berth:Mirrors:0:Url", $"http://{ToOrigin.HostPort}",
            "--Berth:Mirrors:0:Username", "admin",
            "--Berth:Mirrors:0:Password", AdminPassword,
        ]);
        try
        {
            await Task.WhenAll(origin, mirror);
        }
        finally
        {
            Origin = origin.IsCompletedSuccessfully ? origin.Result : null!;
            Mirror = mirror.IsCompletedSuccessfully ? mirror.Result : null!;
        }
    }

    /// <summary>
    /// Pushes <paramref name="image"/> as the origin's admin to a new private repository <c>admin/&lt;prefix&gt;-&lt;hex&gt;:v1</c>
    /// and checks that an anonymous client cannot read it there.
    /// </summary>
    public async Task<string> PushPrivateAsync(ToolSandbox tools, ImageFixture image, string prefix)
    {
        var repo = $"admin/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        (await tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", $"--dest-creds=admin:{AdminPassword}",
            tools.NewLayout((image, "v1")).Reference("v1"), $"docker://{Origin.HostPort}/{repo}:v1")).EnsureSuccess();
        var anonymous = await tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--no-creds", $"docker://{Origin.HostPort}/{repo}:v1");
        Assert.False(anonymous.Succeeded, $"the origin's repository is readable anonymously:\n{anonymous}");
        return repo;
    }

    public async Task DisposeAsync()
    {
        if (Mirror is not null)
        {
            await Mirror.DisposeAsync();
        }

        if (ToOrigin is not null)
        {
            await ToOrigin.DisposeAsync();
        }

        if (Origin is not null)
        {
            await Origin.DisposeAsync();
        }
    }
}
