using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// Issue 14: there was no account creation from the CLI. <c>berth signup HOST</c> creates one's own account while the
/// index allows sign-up; <c>berth account create HOST NAME</c> is an administrator's, also when sign-up is disabled.
/// Against two real Berths with token auth: one open to sign-up, one closed.
/// </summary>
public sealed class AccountCommandTests : IAsyncLifetime, IDisposable
{
    private const string AdminPassword = "account-cmd-admin";
    private const string Password = "account-cmd-pass";
    private readonly Sandbox _admin = new();
    private readonly Sandbox _user = new();
    private RegistryServer? _open;
    private RegistryServer? _closed;

    public async Task InitializeAsync()
    {
        string[] args = ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"];
        var open = RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: args);
        var closed = RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: [.. args, "--signup", "false"]);
        (_open, _closed) = (await open, await closed);
        (await _admin.BerthAsync("login", _closed.HostPort, "-u", "admin", "-p", AdminPassword)).EnsureSuccess();
    }

    [Fact]
    public async Task Signup_creates_an_account_that_can_log_in_and_says_when_the_name_is_taken()
    {
        var host = _open!.HostPort;
        var created = (await _user.BerthAsync("signup", host, "-u", "carol", "-p", Password, "--email", "carol@example.test")).EnsureSuccess();
        Assert.Contains($"created account 'carol' on {host}; log in with: berth login {host} -u carol", created.Stdout);
        (await _user.BerthAsync("login", host, "-u", "carol", "-p", Password)).EnsureSuccess();

        var taken = await _user.BerthAsync("signup", host, "-u", "carol", "-p", "another-pass-1");
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains($"berth: the name 'carol' is taken on {host}", taken.Stderr);

        var weak = await _user.BerthAsync("signup", host, "-u", "dave", "-p", "short");
        Assert.Equal(1, weak.ExitCode);
        Assert.Contains("passwords need at least 8 characters", weak.Stderr);

        var noPassword = await _user.BerthAsync("signup", host, "-u", "erin");
        Assert.Equal(2, noPassword.ExitCode);
        Assert.Contains("give --password-stdin or --password (no terminal to ask on)", noPassword.Stderr);
    }

    [Fact]
    public async Task With_signup_disabled_signup_is_refused_and_an_administrator_creates_the_account()
    {
        var host = _closed!.HostPort;
        var refused = await _user.BerthAsync("signup", host, "-u", "frank", "-p", Password);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("sign-up is disabled; ask an administrator for an account", refused.Stderr);

        var created = JsonNode.Parse((await _admin.BerthAsync("account", "create", host, "frank", "-p", Password, "--json")).EnsureSuccess().Stdout)!;
        Assert.Equal("frank", (string?)created["name"]);
        Assert.False((bool)created["isAdmin"]!);
        (await _user.BerthAsync("login", host, "-u", "frank", "-p", Password)).EnsureSuccess();

        // frank is no administrator: he may not create accounts here.
        var byUser = await _user.BerthAsync("account", "create", host, "grace", "-p", Password);
        Assert.Equal(3, byUser.ExitCode);
        Assert.Contains("sign-up is disabled", byUser.Stderr);
    }

    public async Task DisposeAsync()
    {
        if (_open is not null)
        {
            await _open.DisposeAsync();
        }

        if (_closed is not null)
        {
            await _closed.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _admin.Dispose();
        _user.Dispose();
    }
}
