using System.Net;

namespace Berth.Interop.Tests;

/// <summary>A registry behind an htpasswd (bcrypt) file: skopeo with the right credentials works, anything else does not.</summary>
public sealed class BasicAuthTests : IDisposable
{
    private const string User = "alice";
    private const string Password = "correct horse battery staple";

    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();
    private readonly string _htpasswd;

    public BasicAuthTests()
    {
        _htpasswd = Path.Combine(_tools.Root, "htpasswd");
        File.WriteAllText(_htpasswd,
            $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, 10)}\nbob:{BCrypt.Net.BCrypt.HashPassword("another one", 10)}\n");
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Push_and_pull_need_the_right_credentials(RegistryKind kind)
    {
        await using var server = await RegistryServer.StartAsync(kind, _htpasswd);
        var image = _factory.CreateImage(layers: 2);
        var source = _tools.NewLayout((image, "v1"));
        var repo = Names.Repo("auth");
        var remote = $"docker://{server.HostPort}/{repo}:v1";

        var anonymous = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-no-creds", source.Reference("v1"), remote);
        AssertDenied(anonymous);
        var wrong = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:not-the-password", source.Reference("v1"), remote);
        AssertDenied(wrong);
        var unknown = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"mallory:{Password}", source.Reference("v1"), remote);
        AssertDenied(unknown);

        using (var anonymousHttp = new RegistryHttp(server))
        {
            // Nothing of the refused pushes was stored.
            var probe = await anonymousHttp.GetManifestAsync(repo, "v1");
            Assert.Equal(HttpStatusCode.Unauthorized, probe.Status);
        }

        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}",
            source.Reference("v1"), remote)).EnsureSuccess();

        using (var http = new RegistryHttp(server, User, Password))
        {
            await http.AssertManifestAsync(repo, "v1", image.Manifest);
            await http.AssertBlobsAsync(repo, [image.Config, .. image.Layers]);
        }

        using (var wrongHttp = new RegistryHttp(server, User, "nope"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrongHttp.GetManifestAsync(repo, "v1")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrongHttp.GetBlobAsync(repo, image.Config.Digest)).Status);
        }

        var pullWrong = await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", $"{User}:nope", remote);
        AssertDenied(pullWrong);
        var pullAnonymous = await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--no-creds", remote);
        AssertDenied(pullAnonymous);

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", $"{User}:{Password}",
            remote, back.Reference("v1"))).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, "v1", image);

        // Any valid user may read (htpasswd has no per-repository rules).
        (await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", "bob:another one", remote)).EnsureSuccess();
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Unauthenticated_requests_get_a_basic_challenge(RegistryKind kind)
    {
        await using var server = await RegistryServer.StartAsync(kind, _htpasswd);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    private static void AssertDenied(CliResult result)
    {
        Assert.False(result.Succeeded, result.ToString());
        Assert.True(
            result.Stderr.Contains("unauthorized", StringComparison.OrdinalIgnoreCase)
            || result.Stderr.Contains("authentication required", StringComparison.OrdinalIgnoreCase),
            result.ToString());
    }

    public void Dispose() => _tools.Dispose();
}
