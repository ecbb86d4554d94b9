using System.Net;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>One token-auth Berth whose database the console command works on while it runs.</summary>
public sealed class AdminResetPasswordFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public async Task InitializeAsync() => Site = await Site.StartAsync();

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// Issue 14: the admin password was shown once at first start with no way to reset it. <c>berth-server admin
/// reset-password NAME</c> sets a new one in the database of a running server: the old password is refused at
/// <c>/token</c> at once (also where it was a cached check), the new one accepted, what the old one obtained revoked.
/// </summary>
public sealed partial class AdminResetPasswordTests(AdminResetPasswordFixture fixture) : IClassFixture<AdminResetPasswordFixture>
{
    private Site Site => fixture.Site;

    [Fact]
    public async Task A_reset_on_a_running_server_refuses_the_old_password_and_accepts_the_new_one()
    {
        var user = await Site.CreateUserAsync("forgetful");
        var scope = $"repository:{user.Name}/app:pull,push";
        Assert.Equal(HttpStatusCode.OK, (await user.TokenAsync(scope)).Status); // now a cached check in the server

        // Generated and printed once.
        var generated = await RunAsync(null, "admin", "reset-password", user.Name!);
        Assert.Equal(0, generated.ExitCode);
        var password = NewPassword().Match(generated.Stdout) is { Success: true } match ? match.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no password in: {generated.Stdout}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.TokenAsync(scope)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Site.As(user.Name!, password).TokenAsync(scope)).Status);

        // Given on standard input, never on the command line.
        const string chosen = "Ch0senByTheOperator";
        var given = await RunAsync(chosen + "\n", "admin", "reset-password", user.Name!, "--password-stdin");
        Assert.Equal(0, given.ExitCode);
        Assert.DoesNotContain(chosen, given.Stdout, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Site.As(user.Name!, password).TokenAsync(scope)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Site.As(user.Name!, chosen).TokenAsync(scope)).Status);

        var audit = await Site.Admin.GetJsonAsync("api/v1/audit?n=20");
        Assert.Contains(audit.AsArray(), e => (string?)e!["action"] == "password.reset" && (string?)e["target"] == user.Name);
    }

    [Fact]
    public async Task The_admins_password_is_reset_like_any_other()
    {
        // The admin account of Site is shared by the class: its password is set back at the end.
        var generated = await RunAsync(null, "admin", "reset-password", "admin");
        Assert.Equal(0, generated.ExitCode);
        var password = NewPassword().Match(generated.Stdout).Groups[1].Value;
        try
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Site.Admin.TokenAsync()).Status);
            Assert.Equal(HttpStatusCode.OK, (await Site.As("admin", password).TokenAsync()).Status);
        }
        finally
        {
            Assert.Equal(0, (await RunAsync(Site.AdminPassword + "\n", "admin", "reset-password", "admin", "--password-stdin")).ExitCode);
        }
    }

    [Fact]
    public async Task An_unknown_account_exits_6_a_missing_database_5_and_a_bad_command_line_2()
    {
        var unknown = await RunAsync(null, "admin", "reset-password", "nobody-here");
        Assert.Equal(6, unknown.ExitCode);
        Assert.Equal("berth-server: there is no account 'nobody-here'", unknown.Stderr.Trim());

        var empty = Directory.CreateTempSubdirectory("berth-admin-");
        try
        {
            var missing = await RunRawAsync(null, "admin", "reset-password", "admin", "--data-dir", empty.FullName);
            Assert.Equal(5, missing.ExitCode);
            Assert.Contains($"no database in {empty.FullName}", missing.Stderr, StringComparison.Ordinal);
            Assert.Empty(empty.EnumerateFileSystemInfos()); // nothing created where the operator pointed by mistake
        }
        finally
        {
            empty.Delete(recursive: true);
        }

        var tooShort = await RunAsync("short\n", "admin", "reset-password", "admin", "--password-stdin");
        Assert.Equal(2, tooShort.ExitCode);
        Assert.Contains("passwords need at least 8 characters", tooShort.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex("new password of '[^']+': (\\S+)")]
    private static partial Regex NewPassword();

    /// <summary>The command against this class's server's database (its data directory, or its PostgreSQL database).</summary>
    private Task<Result> RunAsync(string? stdin, params string[] args)
    {
        List<string> all = [.. args, "--data-dir", Site.Server.DataDir];
        if (TestPostgres.Enabled)
        {
            all.AddRange(["--database", "postgres", "--connection-string", TestPostgres.ConnectionString(TestPostgres.DatabaseFor(Site.Server.DataDir))]);
        }

        return RunRawAsync(stdin, [.. all]);
    }

    private static async Task<Result> RunRawAsync(string? stdin, params string[] args)
    {
        var run = await ServerCommand.RunAsync(args, standardInput: stdin);
        return new Result(run.ExitCode, run.Stdout, run.Stderr);
    }

    private sealed record Result(int ExitCode, string Stdout, string Stderr);
}
