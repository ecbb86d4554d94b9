using System.Net;
using System.Text.Json.Nodes;
using Berth.Index.Tests.Support;

namespace Berth.Index.Tests;

public sealed class AccountsApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task Sign_up_creates_an_account_anyone_may_look_up()
    {
        var name = IndexSite.UniqueName("signup");
        var created = await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = name, ["password"] = "s3cret-pass", ["email"] = $"{name}@example.com" });

        var account = created.Expect(HttpStatusCode.Created).Json!;
        Assert.Equal($"/api/v1/users/{name}", created.Headers.Location?.OriginalString);
        Assert.Equal(name, (string?)account["name"]);
        Assert.Equal($"{name}@example.com", (string?)account["email"]);
        Assert.False((bool)account["isAdmin"]!);
        Assert.EndsWith("Z", account["createdAt"]!.GetValue<string>(), StringComparison.Ordinal);

        var own = await site.As(name, "s3cret-pass").GetJsonAsync("api/v1/user");
        Assert.Equal(name, (string?)own["name"]);
        Assert.Equal($"{name}@example.com", (string?)own["email"]);

        var visible = await site.Anonymous.GetJsonAsync($"api/v1/users/{name}");
        Assert.Equal(new[] { "createdAt", "name" }, visible.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sign_up_refuses_taken_and_invalid_names_and_short_passwords()
    {
        var user = await site.CreateUserAsync();
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = user.Name, ["password"] = "another-pass" })).ExpectProblem(HttpStatusCode.Conflict);
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = "Bad Name", ["password"] = "another-pass" })).ExpectProblem(HttpStatusCode.BadRequest);
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = "v2", ["password"] = "another-pass" })).ExpectProblem(HttpStatusCode.BadRequest);
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = IndexSite.UniqueName("s"), ["password"] = "short" })).ExpectProblem(HttpStatusCode.BadRequest);
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = IndexSite.UniqueName("s") })).ExpectProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Only_admins_create_admins()
    {
        var user = await site.CreateUserAsync();
        var body = new JsonObject { ["name"] = IndexSite.UniqueName("boss"), ["password"] = "boss-password", ["isAdmin"] = true };
        (await site.Anonymous.PostAsync("api/v1/users", body)).ExpectProblem(HttpStatusCode.Forbidden);
        (await user.PostAsync("api/v1/users", body.DeepClone())).ExpectProblem(HttpStatusCode.Forbidden);

        var created = (await site.Admin.PostAsync("api/v1/users", body.DeepClone())).Expect(HttpStatusCode.Created).Json!;
        Assert.True((bool)created["isAdmin"]!);
    }

    [Fact]
    public async Task Unknown_users_are_404()
    {
        (await site.Anonymous.GetAsync("api/v1/users/nobody-here")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Own_account_needs_credentials_and_bad_ones_are_401_with_a_basic_challenge()
    {
        var user = await site.CreateUserAsync();
        var anonymous = (await site.Anonymous.GetAsync("api/v1/user"));
        anonymous.ExpectProblem(HttpStatusCode.Unauthorized);
        Assert.Equal("Basic realm=\"Berth\"", anonymous.Headers.WwwAuthenticate.ToString());

        var wrong = await user.WithSecret("not-the-password").GetAsync("api/v1/user");
        wrong.ExpectProblem(HttpStatusCode.Unauthorized);
        Assert.Equal("Basic realm=\"Berth\"", wrong.Headers.WwwAuthenticate.ToString());

        // Bad credentials are never silently anonymous, even where anonymous would be allowed.
        (await user.WithSecret("not-the-password").GetAsync("api/v1/repositories")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await site.Anonymous.WithBearer("berth_pat_forged").GetAsync("api/v1/repositories")).ExpectProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Password_change_needs_the_current_password_and_replaces_it()
    {
        var user = await site.CreateUserAsync();
        (await user.PutAsync("api/v1/user/password", new JsonObject { ["currentPassword"] = "wrong-one", ["newPassword"] = "brand-new-pass" }))
            .ExpectProblem(HttpStatusCode.Forbidden);
        (await user.PutAsync("api/v1/user/password", new JsonObject { ["currentPassword"] = IndexSite.UserPassword, ["newPassword"] = "brand-new-pass" }))
            .Expect(HttpStatusCode.NoContent);

        (await user.GetAsync("api/v1/user")).ExpectProblem(HttpStatusCode.Unauthorized);
        await user.WithSecret("brand-new-pass").GetJsonAsync("api/v1/user");
        Assert.Contains(await AuditAsync(), e => (string?)e["action"] == "password.changed" && (string?)e["target"] == user.Name);
    }

    [Fact]
    public async Task Access_tokens_are_shown_once_work_as_basic_and_bearer_and_stop_when_revoked()
    {
        var user = await site.CreateUserAsync();
        var created = (await user.PostAsync("api/v1/user/tokens", new JsonObject
        {
            ["name"] = "ci",
            ["scopes"] = new JsonArray("read", "write"),
            ["expiresAt"] = DateTime.UtcNow.AddDays(1).ToString("O"),
        })).Expect(HttpStatusCode.Created).Json!;
        var secret = (string)created["token"]!;
        var id = (long)created["id"]!;
        Assert.StartsWith("berth_pat_", secret, StringComparison.Ordinal);
        Assert.StartsWith((string)created["prefix"]!, secret, StringComparison.Ordinal);
        Assert.Equal(new[] { "read", "write" }, created["scopes"]!.AsArray().Select(s => (string)s!));
        Assert.NotNull(created["expiresAt"]);

        var listed = (await user.GetJsonAsync("api/v1/user/tokens")).AsArray().Single()!.AsObject();
        Assert.Equal(id, (long)listed["id"]!);
        Assert.Equal("ci", (string?)listed["name"]);
        Assert.False(listed.ContainsKey("token"));
        Assert.DoesNotContain(secret, listed.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(
            new[] { "createdAt", "expiresAt", "id", "kind", "lastUsedAt", "name", "prefix", "revokedAt", "scopes" },
            listed.Select(p => p.Key).Order(StringComparer.Ordinal));

        Assert.Equal(user.Name, (string?)(await user.WithSecret(secret).GetJsonAsync("api/v1/user"))["name"]);
        Assert.Equal(user.Name, (string?)(await site.Anonymous.WithBearer(secret).GetJsonAsync("api/v1/user"))["name"]);
        Assert.NotNull((await user.GetJsonAsync("api/v1/user/tokens")).AsArray().Single()!["lastUsedAt"]);

        (await user.DeleteAsync($"api/v1/user/tokens/{id}")).Expect(HttpStatusCode.NoContent);
        (await user.WithSecret(secret).GetAsync("api/v1/user")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await site.Anonymous.WithBearer(secret).GetAsync("api/v1/user")).ExpectProblem(HttpStatusCode.Unauthorized);
        Assert.NotNull((await user.GetJsonAsync("api/v1/user/tokens")).AsArray().Single()!["revokedAt"]);
        (await user.DeleteAsync($"api/v1/user/tokens/{id}")).ExpectProblem(HttpStatusCode.NotFound);

        var audit = await AuditAsync();
        Assert.Contains(audit, e => (string?)e["action"] == "token.created" && (string?)e["actor"] == user.Name);
        Assert.Contains(audit, e => (string?)e["action"] == "token.revoked" && (string?)e["actor"] == user.Name);
    }

    [Fact]
    public async Task Tokens_are_limited_to_their_scopes_and_cannot_make_tokens()
    {
        var user = await site.CreateUserAsync();
        var (_, readOnly) = await user.CreateTokenAsync("read");
        var reader = user.WithSecret(readOnly);

        await reader.GetJsonAsync("api/v1/user");
        (await reader.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/app" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await reader.PostAsync("api/v1/user/tokens", new JsonObject { ["name"] = "more", ["scopes"] = new JsonArray("read") }))
            .ExpectProblem(HttpStatusCode.Forbidden);
        (await reader.PutAsync("api/v1/user/password", new JsonObject { ["currentPassword"] = IndexSite.UserPassword, ["newPassword"] = "whatever-pass" }))
            .ExpectProblem(HttpStatusCode.Forbidden);

        var (_, writer) = await user.CreateTokenAsync("write");
        await user.WithSecret(writer).CreateRepositoryAsync($"{user.Name}/app");

        (await user.PostAsync("api/v1/user/tokens", new JsonObject { ["name"] = "bad", ["scopes"] = new JsonArray("root") })).ExpectProblem(HttpStatusCode.BadRequest);
        (await user.PostAsync("api/v1/user/tokens", new JsonObject { ["name"] = "none", ["scopes"] = new JsonArray() })).ExpectProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Another_accounts_token_cannot_be_revoked()
    {
        var owner = await site.CreateUserAsync();
        var other = await site.CreateUserAsync();
        var (id, secret) = await owner.CreateTokenAsync("read");

        (await other.DeleteAsync($"api/v1/user/tokens/{id}")).ExpectProblem(HttpStatusCode.NotFound);
        await owner.WithSecret(secret).GetJsonAsync("api/v1/user");
    }

    [Fact]
    public async Task Repeated_failures_slow_the_source_with_429_and_are_audited_once()
    {
        var user = await site.CreateUserAsync();
        ApiResponse? throttled = null;
        for (var i = 0; i < 10 && throttled is null; i++)
        {
            var answer = await user.WithSecret($"wrong-{i}").GetAsync("api/v1/user");
            if (answer.Status == HttpStatusCode.TooManyRequests)
            {
                throttled = answer;
                continue;
            }

            answer.ExpectProblem(HttpStatusCode.Unauthorized);
        }

        // Throttled (the source, for this account) with the delay to wait; audited once per window, not per attempt.
        Assert.NotNull(throttled);
        throttled.ExpectProblem(HttpStatusCode.TooManyRequests);
        Assert.True(throttled.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 });

        var audit = await AuditAsync(100);
        var failed = Assert.Single(audit, e => (string?)e["action"] == "login.failed" && (string?)e["target"] == user.Name);
        Assert.Equal("127.0.0.1", (string?)failed["address"]);
        var entry = Assert.Single(audit, e => (string?)e["action"] == "login.locked" && (string?)e["target"] == user.Name);
        Assert.Equal("127.0.0.1", (string?)entry["address"]);
    }

    private async Task<List<JsonNode>> AuditAsync(int n = 100) =>
        [.. (await site.Admin.GetJsonAsync($"api/v1/audit?n={n}")).AsArray().Select(e => e!)];
}

/// <summary>Its own server: draining the address's rate-limit bucket must not slow the other tests.</summary>
public sealed class SignupRateLimitTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task Sign_up_is_rate_limited_per_address()
    {
        // The sign-up policy: a burst of 100, then 20 per second.
        var answers = await Task.WhenAll(Enumerable.Range(0, 160).Select(_ =>
            site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = "x", ["password"] = "short" })));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.TooManyRequests);
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.BadRequest or HttpStatusCode.TooManyRequests, $"{(int)a.Status}"));
    }
}

public sealed class SignupDisabledTests(SignupDisabledSite site) : IClassFixture<SignupDisabledSite>
{
    [Fact]
    public async Task Only_admins_create_accounts_when_sign_up_is_off()
    {
        var body = new JsonObject { ["name"] = IndexSite.UniqueName("closed"), ["password"] = "some-password" };
        (await site.Anonymous.PostAsync("api/v1/users", body)).ExpectProblem(HttpStatusCode.Forbidden);

        var created = (await site.Admin.PostAsync("api/v1/users", body.DeepClone())).Expect(HttpStatusCode.Created).Json!;
        var user = site.As((string)created["name"]!, "some-password");
        await user.GetJsonAsync("api/v1/user");

        (await user.PostAsync("api/v1/users", new JsonObject { ["name"] = IndexSite.UniqueName("friend"), ["password"] = "some-password" }))
            .ExpectProblem(HttpStatusCode.Forbidden);
    }
}
