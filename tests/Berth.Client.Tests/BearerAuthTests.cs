using Berth.Client.Auth;
using Berth.Client.Registry;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// Docker token auth end to end, against an in-test token server and a proxy that demands its tokens in front of a
/// real Berth (Berth's own token service does not exist yet): challenge → token for the right scopes → retry; tokens
/// cached per scope; refreshed when revoked (401) or expired; wrong credentials and anonymous callers refused.
/// </summary>
public sealed class BearerAuthTests(Registries registries) : IClassFixture<Registries>, IDisposable
{
    private const string User = "alice";
    private const string Password = "s3cret";
    private static readonly Dictionary<string, string> Users = new() { [User] = Password };

    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task Push_and_pull_fetch_one_token_per_scope_and_reuse_it()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, requireBearer: true, users: Users);
        var image = _factory.CreateImage(layers: 6);
        var target = Clients.Ref(proxy.HostPort, Names.Repo("bearer"));
        using var client = Clients.Create(new StaticCredentialProvider(proxy.HostPort, new RegistryCredentials(User, Password)));

        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", target);
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        await Clients.PullAsync(client, target, pulled.Path, "v1");

        Clients.AssertLayoutHolds(pulled, "v1", image);
        // 7 blobs and 2 manifests each way, yet only one token per distinct scope set: pull (HEADs, GETs) and pull,push.
        Assert.Equal(2, proxy.TokensIssued);
        Assert.Contains($"repository:{target.Repository}:pull,push", proxy.TokenRequests);
        Assert.Contains($"repository:{target.Repository}:pull", proxy.TokenRequests);
        // The first request learns the challenge while the parallel ones wait; after that every request carries a token.
        Assert.Equal(1, proxy.Log.Count(r => r.Status == 401));
    }

    [Fact]
    public async Task A_revoked_token_is_refreshed_on_401_and_an_expired_one_before_use()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, requireBearer: true, users: Users);
        var image = _factory.CreateImage(layers: 2);
        var target = Clients.Ref(proxy.HostPort, Names.Repo("refresh"));
        using var client = Clients.Create(new StaticCredentialProvider(proxy.HostPort, new RegistryCredentials(User, Password)));
        var registry = client.ForRegistry(proxy.HostPort);
        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", target);
        var issued = proxy.TokensIssued;

        proxy.RevokeAllTokens();
        var manifest = await registry.GetManifestAsync(target.Repository, "v1", CancellationToken.None);
        Assert.Equal(image.Manifest.Bytes, manifest.Bytes);
        Assert.Equal(issued + 1, proxy.TokensIssued);
        Assert.Contains(proxy.Log, r => r.Status == 401 && r.HadToken);

        // Short-lived tokens: the client renews before the registry would refuse.
        proxy.TokenLifetime = TimeSpan.FromSeconds(2);
        proxy.RevokeAllTokens();
        await registry.GetManifestAsync(target.Repository, "v1", CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var refusedBefore = proxy.Log.Count(r => r.Status == 401);
        var tokensBefore = proxy.TokensIssued;
        await registry.GetManifestAsync(target.Repository, "v1", CancellationToken.None);
        Assert.Equal(tokensBefore + 1, proxy.TokensIssued);
        Assert.Equal(refusedBefore, proxy.Log.Count(r => r.Status == 401));
    }

    [Fact]
    public async Task Wrong_password_and_anonymous_callers_are_refused_with_clear_errors()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, requireBearer: true, users: Users);
        var repo = Names.Repo("denied");

        using (var wrong = Clients.Create(new StaticCredentialProvider(proxy.HostPort, new RegistryCredentials(User, "nope"))))
        {
            var error = await Assert.ThrowsAsync<RegistryAuthException>(() => wrong.ForRegistry(proxy.HostPort).PingAsync(CancellationToken.None));
            Assert.Contains("refused the credentials", error.Message);
        }

        using var anonymous = Clients.Create();
        var refused = await Assert.ThrowsAsync<RegistryException>(async () =>
        {
            await foreach (var tag in anonymous.ForRegistry(proxy.HostPort).ListTagsAsync(repo, null, CancellationToken.None))
            {
                Assert.Fail(tag);
            }
        });
        Assert.Equal(RegistryErrorKind.Unauthorized, refused.Kind);
        Assert.Contains("berth login", refused.Message);
    }

    [Fact]
    public async Task An_identity_token_is_exchanged_through_the_oauth2_form()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, requireBearer: true, users: Users);
        proxy.RefreshTokens[User] = "refresh-" + Guid.NewGuid().ToString("N");
        var image = _factory.CreateImage(layers: 1);
        var target = Clients.Ref(proxy.HostPort, Names.Repo("oauth"));
        using var client = Clients.Create(new StaticCredentialProvider(proxy.HostPort, new RegistryCredentials(null, null, proxy.RefreshTokens[User])));

        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", target);

        Assert.Equal(proxy.TokensIssued, proxy.RefreshGrants);
        Assert.True(proxy.RefreshGrants >= 1);
    }

    [Fact]
    public async Task Cli_login_then_push_and_pull_through_bearer_auth()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, requireBearer: true, users: Users);
        var image = _factory.CreateImage(layers: 3);
        var remote = $"{proxy.HostPort}/{Names.Repo("cli-bearer")}:v1";

        var refused = await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("berth login", refused.Stderr);

        (await _sandbox.BerthAsync("login", proxy.HostPort, "-u", User, "-p", Password)).EnsureSuccess();
        (await _sandbox.BerthAsync("push", _sandbox.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();
        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        (await _sandbox.BerthAsync("pull", remote, $"oci:{pulled.Path}:v1")).EnsureSuccess();
        Clients.AssertLayoutHolds(pulled, "v1", image);
    }

    public void Dispose() => _sandbox.Dispose();
}
