using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>One token-auth Berth for the refresh token tests; each test makes its own user.</summary>
public sealed class RefreshTokenFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public async Task InitializeAsync() => Site = await Site.StartAsync();

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// Issue 8, defect 4: refresh tokens are server-side grants — listed with the personal access tokens, revocable
/// through the same API, revoked by a password change, and bound to the client they were issued to.
/// </summary>
public sealed class RefreshTokenTests(RefreshTokenFixture fixture) : IClassFixture<RefreshTokenFixture>
{
    private const string NewPassword = "N3wPassw0rd!";

    private Site Site => fixture.Site;

    [Fact]
    public async Task A_password_change_ends_every_refresh_token_and_the_old_password()
    {
        var user = await Site.CreateUserAsync("moved");
        var scope = $"repository:{user.Name}/app:pull,push";
        var refresh = await OfflineTokenAsync(user, "ci", scope);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(refresh, "ci", scope)).Status);
        Assert.Equal(HttpStatusCode.OK, (await user.TokenAsync(scope)).Status); // the old password is now a cached check

        using (var change = await user.SendAsync(HttpMethod.Put, "api/v1/user/password", new JsonObject
        {
            ["currentPassword"] = user.Secret,
            ["newPassword"] = NewPassword,
        }))
        {
            await Expect.StatusAsync(change, HttpStatusCode.NoContent);
        }

        // The offline token kept working for 30 days after a password change; now it is dead at once.
        var after = await RefreshAsync(refresh, "ci", scope);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Null(after.Token);
        Assert.Contains("invalid_grant", after.Body, StringComparison.Ordinal);

        // The cached check of the old password does not outlive it either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.TokenAsync(scope)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Site.As(user.Name!, NewPassword).TokenAsync(scope)).Status);
    }

    [Fact]
    public async Task Refresh_tokens_are_listed_with_the_access_tokens_and_revocable_there()
    {
        var user = await Site.CreateUserAsync("lister");
        var scope = $"repository:{user.Name}/app:pull";
        var (patId, _) = await user.CreateAccessTokenAsync("read");
        var refresh = await OfflineTokenAsync(user, "laptop", scope);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(refresh, "laptop", scope)).Status);

        var listed = (await user.GetJsonAsync("api/v1/user/tokens")).AsArray();
        var pat = Assert.Single(listed, t => (string?)t!["kind"] == "pat")!;
        Assert.Equal(patId, (long)pat["id"]!);
        var grant = Assert.Single(listed, t => (string?)t!["kind"] == "refresh")!;
        var grantId = (long)grant["id"]!;
        Assert.True(grantId < 0, $"refresh token ids are negative, never a personal access token's: {grantId}");
        Assert.Equal("laptop", (string?)grant["clientId"]);
        Assert.NotNull(grant["createdAt"]);
        Assert.NotNull(grant["expiresAt"]);
        Assert.NotNull(grant["lastUsedAt"]);

        // Another account cannot revoke it; its owner can, and then it is gone.
        var other = await Site.CreateUserAsync("other");
        using (var foreign = await other.SendAsync(HttpMethod.Delete, $"api/v1/user/tokens/{grantId}"))
        {
            await Expect.StatusAsync(foreign, HttpStatusCode.NotFound);
        }

        using (var revoke = await user.SendAsync(HttpMethod.Delete, $"api/v1/user/tokens/{grantId}"))
        {
            await Expect.StatusAsync(revoke, HttpStatusCode.NoContent);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(refresh, "laptop", scope)).Status);
        var after = (await user.GetJsonAsync("api/v1/user/tokens")).AsArray();
        Assert.DoesNotContain(after, t => (string?)t!["kind"] == "refresh");
        Assert.Null(Assert.Single(after)!["revokedAt"]); // the personal access token is untouched
        using (var again = await user.SendAsync(HttpMethod.Delete, $"api/v1/user/tokens/{grantId}"))
        {
            await Expect.StatusAsync(again, HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task A_refresh_token_works_only_for_the_client_it_was_issued_to()
    {
        var user = await Site.CreateUserAsync("bound");
        // push: on a name that does not exist yet, pull grants nothing (issue 8, defect 1).
        var scope = $"repository:{user.Name}/app:push";
        var refresh = await OfflineTokenAsync(user, "podman", scope);

        var stolen = await RefreshAsync(refresh, "another-client", scope);
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.Status);
        Assert.Null(stolen.Token);
        Assert.Contains("invalid_grant", stolen.Body, StringComparison.Ordinal);

        var own = await RefreshAsync(refresh, "podman", scope);
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal(["push"], own.ActionsOn($"{user.Name}/app"));

        // Docker's daemon logs in as "docker" and its CLI refreshes the same stored token as "registry-client": one client.
        var docker = await OfflineTokenAsync(user, "docker", scope);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(docker, "registry-client", scope)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RefreshAsync(docker, "podman", scope)).Status);
    }

    /// <summary>The OAuth2 password grant with <c>access_type=offline</c>: the refresh token.</summary>
    private async Task<string> OfflineTokenAsync(Actor user, string clientId, string scope)
    {
        var answer = await PostAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = user.Name!,
            ["password"] = user.Secret!,
            ["access_type"] = "offline",
            ["client_id"] = clientId,
            ["service"] = Site.Service,
            ["scope"] = scope,
        });
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.StartsWith("berth_rt_", answer.RefreshToken, StringComparison.Ordinal);
        return answer.RefreshToken!;
    }

    private Task<TokenAnswer> RefreshAsync(string refresh, string clientId, string scope) => PostAsync(new()
    {
        ["grant_type"] = "refresh_token",
        ["refresh_token"] = refresh,
        ["client_id"] = clientId,
        ["service"] = Site.Service,
        ["scope"] = scope,
    });

    private async Task<TokenAnswer> PostAsync(Dictionary<string, string> form)
    {
        using var response = await Site.Http.PostAsync("token", new FormUrlEncodedContent(form));
        return await TokenAnswer.ReadAsync(response);
    }
}
