using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>One token-auth Berth with two users; alice owns a private repository with one image.</summary>
public sealed class TokenServiceFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public Actor Alice { get; private set; } = null!;

    public Actor Bob { get; private set; } = null!;

    public string AliceRepo => $"{Alice.Name}/app";

    public ImageFixture Image { get; } = new ImageFactory().CreateImage(layers: 1);

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync();
        Alice = await Site.CreateUserAsync("alice");
        Bob = await Site.CreateUserAsync("bob");
        await V2.PushImageAsync(Alice.Registry, AliceRepo, Image, "v1");
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// The token service (Docker token auth): granted = requested ∩ allowed, refusal is an empty grant; the OAuth2
/// password and refresh_token grants; personal access tokens and their revocation; brute force → 429 with Retry-After.
/// </summary>
public sealed class TokenServiceTests(TokenServiceFixture fixture) : IClassFixture<TokenServiceFixture>
{
    private Site Site => fixture.Site;

    private Actor Alice => fixture.Alice;

    private Actor Bob => fixture.Bob;

    private string AliceRepo => fixture.AliceRepo;

    [Fact]
    public async Task Grants_are_the_intersection_of_what_is_asked_and_what_is_allowed()
    {
        string[] all = ["delete", "pull", "push"];
        Assert.Equal(all, (await Alice.TokenAsync($"repository:{AliceRepo}:pull,push,delete")).ActionsOn(AliceRepo));
        Assert.Equal(["pull"], (await Alice.TokenAsync($"repository:{AliceRepo}:pull")).ActionsOn(AliceRepo));

        // Someone else's private repository: an empty grant, not an error (the registry then says 401).
        foreach (var scope in new[] { "pull", "push", "pull,push", "pull,push,delete", "*", "admin", "pull,*" })
        {
            var answer = await Bob.TokenAsync($"repository:{AliceRepo}:{scope}");
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Empty(answer.Access);
        }

        var anonymous = await Site.Anonymous.TokenAsync($"repository:{AliceRepo}:pull,push");
        Assert.Equal(HttpStatusCode.OK, anonymous.Status);
        Assert.Empty(anonymous.Access);
        Assert.Equal("", (string?)Jwt.Payload(anonymous.Token!)["sub"]);

        // A free name in someone else's namespace, or at the top level, is not Bob's to create.
        Assert.Empty((await Bob.TokenAsync($"repository:{Alice.Name}/new-one:pull,push")).Access);
        Assert.Empty((await Bob.TokenAsync("repository:toplevel:pull,push")).Access);
        // In his own namespace it is: push, as a grant to create it (nothing to pull or delete there yet).
        Assert.Equal(["push"], (await Bob.TokenAsync($"repository:{Bob.Name}/new-one:pull,push,delete")).ActionsOn($"{Bob.Name}/new-one"));

        // Several scopes at once: each is granted on its own merits; unknown actions are dropped, never echoed.
        var mixed = await Bob.TokenAsync($"repository:{AliceRepo}:pull", $"repository:{Bob.Name}/mine:pull,push,frobnicate", "registry:catalog:*");
        Assert.Equal(["registry:catalog:*", $"repository:{Bob.Name}/mine:push"], mixed.Access.Select(a => a.ToString()).Order(StringComparer.Ordinal));

        // Unparseable scopes are ignored, not fatal.
        var junk = await Bob.TokenAsync("nonsense", "repository::pull", "repository:UPPER/Case:pull", $"repository:{AliceRepo}");
        Assert.Equal(HttpStatusCode.OK, junk.Status);
        Assert.Empty(junk.Access);
    }

    [Fact]
    public async Task The_token_endpoint_refuses_bad_credentials_and_foreign_services()
    {
        var wrong = await Site.As(Alice.Name!, "not-her-password").TokenAsync($"repository:{AliceRepo}:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Null(wrong.Token);
        var unknown = await Site.As("nobody-at-all", Site.UserPassword).TokenAsync($"repository:{AliceRepo}:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);

        using (var response = await Alice.SendAsync(HttpMethod.Get, $"token?service=another-registry&scope=repository:{AliceRepo}:pull"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("\"token\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var response = await Alice.SendAsync(HttpMethod.Get, $"token?service={Site.Service}&account={Bob.Name}&scope=repository:{AliceRepo}:pull"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic bm8tY29sb24=")]
    [InlineData("Digest username=\"alice\"")]
    public async Task Unreadable_credentials_are_refused_not_taken_for_anonymous(string authorization)
    {
        // Meant credentials that cannot be read must not quietly become an anonymous token.
        using var http = Site.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"token?service={Site.Service}&scope=repository:{AliceRepo}:pull");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("\"token\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Password_grant_with_offline_access_gives_a_refresh_token_that_works()
    {
        var scope = $"repository:{AliceRepo}:pull";
        var first = await PostAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = Alice.Name!,
            ["password"] = Alice.Secret!,
            ["client_id"] = "berth-security-tests",
            ["access_type"] = "offline",
            ["service"] = Site.Service,
            ["scope"] = scope,
        });
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(scope, first.Scope);
        Assert.False(string.IsNullOrEmpty(first.RefreshToken), first.Body);
        await AssertPullsAsync(first.Token!);

        // Without offline access: no refresh token.
        var online = await PostAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = Alice.Name!,
            ["password"] = Alice.Secret!,
            ["client_id"] = "berth-security-tests",
            ["service"] = Site.Service,
            ["scope"] = scope,
        });
        Assert.Equal(HttpStatusCode.OK, online.Status);
        Assert.Null(online.RefreshToken);

        var refreshed = await PostAsync(new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = first.RefreshToken!,
            ["client_id"] = "berth-security-tests",
            ["service"] = Site.Service,
            ["scope"] = $"{scope} repository:{Bob.Name}/x:pull",
        });
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(scope, refreshed.Scope); // still Alice's rights, nothing more
        Assert.Equal(Alice.Name, (string?)Jwt.Payload(refreshed.Token!)["sub"]);
        await AssertPullsAsync(refreshed.Token!);

        foreach (var bad in new[] { "berth_rt_" + new string('0', 40), first.RefreshToken![..^2], "", first.Token! })
        {
            var refused = await PostAsync(new()
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = bad,
                ["client_id"] = "berth-security-tests",
                ["service"] = Site.Service,
                ["scope"] = scope,
            });
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Null(refused.Token);
        }
    }

    [Fact]
    public async Task The_POST_grants_refuse_malformed_requests()
    {
        var wrongPassword = await PostAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = Alice.Name!,
            ["password"] = "wrong-password",
            ["client_id"] = "berth-security-tests",
            ["service"] = Site.Service,
        });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.Status);

        var noClient = await PostAsync(new()
        {
            ["grant_type"] = "password",
            ["username"] = Alice.Name!,
            ["password"] = Alice.Secret!,
            ["service"] = Site.Service,
        });
        Assert.Equal(HttpStatusCode.BadRequest, noClient.Status);

        var unknownGrant = await PostAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "berth-security-tests",
            ["service"] = Site.Service,
        });
        Assert.Equal(HttpStatusCode.BadRequest, unknownGrant.Status);
        Assert.Null(unknownGrant.Token);
    }

    [Fact]
    public async Task A_revoked_personal_access_token_gets_no_more_tokens()
    {
        var (id, secret) = await Alice.CreateAccessTokenAsync("read", "write");
        Assert.StartsWith("berth_pat_", secret, StringComparison.Ordinal);
        var viaToken = Alice.WithSecret(secret);
        var scope = $"repository:{AliceRepo}:pull,push,delete";
        var granted = await viaToken.TokenAsync(scope);
        Assert.Equal(HttpStatusCode.OK, granted.Status);
        Assert.Equal(["pull", "push"], granted.ActionsOn(AliceRepo)); // no delete scope on this PAT
        using (var offline = await viaToken.SendAsync(HttpMethod.Get, $"token?service={Site.Service}&offline_token=true&client_id=t&scope={Uri.EscapeDataString(scope)}"))
        {
            await Expect.StatusAsync(offline, HttpStatusCode.OK);
            var refresh = (string?)(await Json.ReadAsync(offline))["refresh_token"];
            Assert.False(string.IsNullOrEmpty(refresh));

            using (var revoke = await Alice.SendAsync(HttpMethod.Delete, $"api/v1/user/tokens/{id}"))
            {
                await Expect.StatusAsync(revoke, HttpStatusCode.NoContent);
            }

            var after = await viaToken.TokenAsync(scope);
            Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
            Assert.Null(after.Token);

            // What was obtained with it dies with it.
            var refreshed = await PostAsync(new()
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = refresh!,
                ["client_id"] = "t",
                ["service"] = Site.Service,
                ["scope"] = scope,
            });
            Assert.Equal(HttpStatusCode.Unauthorized, refreshed.Status);
        }

        // The password still works.
        Assert.Equal(HttpStatusCode.OK, (await Alice.TokenAsync(scope)).Status);
    }

    [Fact]
    public async Task A_read_only_access_token_cannot_get_push_even_for_the_owner()
    {
        var (_, secret) = await Alice.CreateAccessTokenAsync("read");
        var answer = await Alice.WithSecret(secret).TokenAsync($"repository:{AliceRepo}:pull,push,delete", $"repository:{Alice.Name}/fresh:pull,push");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(["pull"], answer.ActionsOn(AliceRepo));
        Assert.Empty(answer.ActionsOn($"{Alice.Name}/fresh"));
    }

    [Fact]
    public async Task Many_wrong_passwords_slow_the_source_down_not_the_account()
    {
        // Throttling per source is LoginThrottleTests' subject; here: it answers 429 with Retry-After on /token.
        var victim = await Site.CreateUserAsync("victim");
        var scope = $"repository:{victim.Name}/app:pull";
        Assert.Equal(HttpStatusCode.OK, (await victim.TokenAsync(scope)).Status);
        var throttled = 0;
        for (var i = 0; i < 10; i++)
        {
            using var guess = await Site.As(victim.Name!, $"guess-{i}").SendAsync(HttpMethod.Get, $"token?service={Site.Service}&scope={Uri.EscapeDataString(scope)}");
            Assert.True(guess.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"guess {i}: {(int)guess.StatusCode}");
            if (guess.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled++;
                Assert.NotNull(guess.Headers.RetryAfter?.Delta);
            }
        }

        Assert.True(throttled > 0, "ten wrong passwords in a row were never throttled");

        // Other accounts from the same address are not affected.
        Assert.Equal(HttpStatusCode.OK, (await Bob.TokenAsync($"repository:{Bob.Name}/app:pull")).Status);
    }

    [Fact]
    public async Task A_personal_access_token_works_only_for_the_account_that_owns_it()
    {
        var (_, secret) = await Alice.CreateAccessTokenAsync("read", "write", "delete");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Site.As(Bob.Name!, secret).TokenAsync($"repository:{AliceRepo}:pull")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Site.As("admin", secret).TokenAsync($"repository:{AliceRepo}:pull")).Status);
        using var api = await Site.As(Bob.Name!, secret).SendAsync(HttpMethod.Get, "api/v1/user");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Access_follows_collaborator_and_visibility_changes_at_once()
    {
        var repo = $"{Alice.Name}/shared";
        await V2.PushImageAsync(Alice.Registry, repo, new ImageFactory().CreateImage(layers: 1), "v1");
        var scope = $"repository:{repo}:pull,push";
        Assert.Empty((await Bob.TokenAsync(scope)).Access);

        await AliceSendsAsync(HttpMethod.Put, $"api/v1/repositories/{repo}/-/collaborators/users/{Bob.Name}", new JsonObject { ["level"] = "write" }, HttpStatusCode.NoContent);
        Assert.Equal(["pull", "push"], (await Bob.TokenAsync(scope)).ActionsOn(repo));
        await AliceSendsAsync(HttpMethod.Put, $"api/v1/repositories/{repo}/-/collaborators/users/{Bob.Name}", new JsonObject { ["level"] = "read" }, HttpStatusCode.NoContent);
        Assert.Equal(["pull"], (await Bob.TokenAsync(scope)).ActionsOn(repo));
        await AliceSendsAsync(HttpMethod.Delete, $"api/v1/repositories/{repo}/-/collaborators/users/{Bob.Name}", null, HttpStatusCode.NoContent);
        Assert.Empty((await Bob.TokenAsync(scope)).Access);
        using (var hidden = await Bob.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        await AliceSendsAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = "public" }, HttpStatusCode.OK);
        Assert.Equal(["pull"], (await Site.Anonymous.TokenAsync(scope)).ActionsOn(repo));
        Assert.Equal(["pull"], (await Bob.TokenAsync(scope)).ActionsOn(repo));
        await AliceSendsAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = "private" }, HttpStatusCode.OK);
        Assert.Empty((await Site.Anonymous.TokenAsync(scope)).Access);
        Assert.Empty((await Bob.TokenAsync(scope)).Access);
    }

    [Fact]
    public async Task An_upload_session_belongs_to_its_repository()
    {
        using var start = await V2.SendAsync(Alice.Registry, HttpMethod.Post, $"v2/{AliceRepo}/blobs/uploads/", null, V2.Octets([]));
        await Expect.StatusAsync(start, HttpStatusCode.Accepted);
        var location = start.Headers.Location!.ToString();
        var id = location[(location.IndexOf("/uploads/", StringComparison.Ordinal) + 9)..].Split('?')[0];
        var before = await UploadRangeAsync(location);

        // Bob has push rights on his own repository only; Alice's session id must mean nothing there.
        var own = $"{Bob.Name}/mine";
        var blob = new Blob("application/octet-stream", "not alice's"u8.ToArray());
        foreach (var (method, content) in new (HttpMethod, HttpContent?)[]
        {
            (HttpMethod.Get, null),
            (HttpMethod.Patch, V2.Octets(blob.Bytes)),
            (HttpMethod.Put, V2.Octets(blob.Bytes)),
            (HttpMethod.Delete, null),
        })
        {
            var query = method == HttpMethod.Put ? $"?digest={blob.Digest}" : "";
            using var response = await V2.SendAsync(Bob.Registry, method, $"v2/{own}/blobs/uploads/{id}{query}", null, content);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // Alice's session is intact: still there, nothing written to it.
        Assert.Equal(before, await UploadRangeAsync(location));
    }

    private async Task<string?> UploadRangeAsync(string location)
    {
        using var status = await V2.SendAsync(Alice.Registry, HttpMethod.Get, location, null);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        return status.Headers.TryGetValues("Range", out var values) ? values.Single() : null;
    }

    [Fact]
    public async Task Knowing_a_digest_from_a_private_repository_reads_nothing_elsewhere()
    {
        var secretLayer = fixture.Image.Layers[0];
        var showcase = $"{Alice.Name}/showcase";
        await V2.PushImageAsync(Alice.Registry, showcase, new ImageFactory().CreateImage(layers: 1), "v1");
        await AliceSendsAsync(HttpMethod.Patch, $"api/v1/repositories/{showcase}", new JsonObject { ["visibility"] = "public" }, HttpStatusCode.OK);

        // Through Alice's public repository (Bob may read it) and through Bob's own one: not there.
        foreach (var repo in new[] { showcase, $"{Bob.Name}/mine" })
        {
            using var head = await V2.SendAsync(Bob.Registry, HttpMethod.Head, $"v2/{repo}/blobs/{secretLayer.Digest}", null);
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }

        // A mount from the private repository into Bob's own falls back to an upload, and copies nothing.
        var mine = $"{Bob.Name}/mine";
        using (var mount = await V2.SendAsync(Bob.Registry, HttpMethod.Post, $"v2/{mine}/blobs/uploads/?mount={secretLayer.Digest}&from={AliceRepo}", null, V2.Octets([])))
        {
            Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        }

        var (status, body) = await V2.GetAsync(Bob.Registry, $"v2/{mine}/blobs/{secretLayer.Digest}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(body.AsSpan().IndexOf(secretLayer.Bytes.AsSpan(0, 32)) < 0);
    }

    [Fact]
    public async Task An_admins_access_token_without_the_admin_scope_has_no_admin_powers()
    {
        var (_, secret) = await Site.Admin.CreateAccessTokenAsync("read", "write");
        var ci = Site.Admin.WithSecret(secret);
        var answer = await ci.TokenAsync($"repository:{AliceRepo}:pull,push", "repository:nobodys-namespace/x:pull,push");
        Assert.Empty(answer.Access);
        using var get = await ci.SendAsync(HttpMethod.Get, $"api/v1/repositories/{AliceRepo}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    private async Task AssertPullsAsync(string token)
    {
        var (status, body) = await V2.GetAsync(Site.Anonymous.Registry, $"v2/{AliceRepo}/manifests/v1", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.Image.Manifest.Bytes, body);
    }

    private async Task AliceSendsAsync(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        using var response = await Alice.SendAsync(method, path, body);
        await Expect.StatusAsync(response, expected);
    }

    private async Task<TokenAnswer> PostAsync(Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await Site.Http.PostAsync("token", content);
        return await TokenAnswer.ReadAsync(response);
    }
}
