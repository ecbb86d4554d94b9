using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>One token-auth Berth for the throttle tests; each test attacks from its own loopback address.</summary>
public sealed class LoginThrottleFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public async Task InitializeAsync() => Site = await Site.StartAsync();

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// Issue 8, defects 3 and 6: wrong passwords throttle the source trying them (address, and address + account),
/// with growing delays and <c>Retry-After</c>; never the account for everyone, never its personal access tokens;
/// and a spray of names cannot flush the throttle or flood the audit log.
/// </summary>
public sealed class LoginThrottleTests(LoginThrottleFixture fixture) : IClassFixture<LoginThrottleFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private Site Site => fixture.Site;

    [Fact]
    public async Task Wrong_passwords_from_one_address_lock_neither_the_account_elsewhere_nor_its_access_tokens()
    {
        var victim = await Site.CreateUserAsync("victim");
        var (_, pat) = await victim.CreateAccessTokenAsync("read", "write");
        var attacker = Site.ClientFrom("127.0.0.2");
        var scope = $"repository:{victim.Name}/app:pull";

        // Well past the ten that used to lock the account for 300 s.
        await DriveToBlockAsync(attacker, i => TokenRequest(victim.Name!, $"guess-{i}", scope));

        // The blocked source learns nothing, not even with the right password.
        using (var right = await attacker.SendAsync(TokenRequest(victim.Name!, victim.Secret!, scope)))
        {
            await ExpectThrottledAsync(right);
        }

        // A personal access token is never refused for password failures, even from the attacker's address.
        using (var viaToken = await attacker.SendAsync(TokenRequest(victim.Name!, pat, scope)))
        {
            await Expect.StatusAsync(viaToken, HttpStatusCode.OK);
        }

        using (var rest = await attacker.SendAsync(Request(HttpMethod.Get, "api/v1/user", victim.Name!, pat)))
        {
            await Expect.StatusAsync(rest, HttpStatusCode.OK);
        }

        // The victim, from its own address, gets in at once: /token GET and POST, and the REST API.
        Assert.Equal(HttpStatusCode.OK, (await victim.TokenAsync(scope)).Status);
        using (var post = await Site.Http.PostAsync("token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = victim.Name!,
            ["password"] = victim.Secret!,
            ["client_id"] = "ci",
            ["service"] = Site.Service,
        })))
        {
            await Expect.StatusAsync(post, HttpStatusCode.OK);
        }

        using var own = await victim.SendAsync(HttpMethod.Get, "api/v1/user");
        await Expect.StatusAsync(own, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Every_surface_that_checks_credentials_throttles_an_address_with_Retry_After()
    {
        var victim = await Site.CreateUserAsync("rest");

        // REST Basic: each wrong password costs a bcrypt, so it is limited like /token.
        var basic = Site.ClientFrom("127.0.0.3");
        await DriveToBlockAsync(basic, i => Request(HttpMethod.Get, "api/v1/user", victim.Name!, $"guess-{i}"), minRetryAfter: 1);

        // POST /token's password grant, from another address.
        var form = Site.ClientFrom("127.0.0.4");
        await DriveToBlockAsync(form, i => new HttpRequestMessage(HttpMethod.Post, "token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password",
                ["username"] = victim.Name!,
                ["password"] = $"guess-{i}",
                ["client_id"] = "ci",
                ["service"] = Site.Service,
            }),
        }, minRetryAfter: 1);

        // Unknown personal access tokens cost no bcrypt, yet a flood of them is slowed per address too.
        var tokens = Site.ClientFrom("127.0.0.5");
        await DriveToBlockAsync(tokens, _ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "berth_pat_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            return request;
        }, minRetryAfter: 1, maxAttempts: 80);
    }

    [Fact]
    public async Task A_spray_of_random_names_neither_flushes_the_throttle_nor_floods_the_audit_log()
    {
        const string Attacker = "127.0.0.6";
        var victim = await Site.CreateUserAsync("spray");
        var attacker = Site.ClientFrom(Attacker);
        await DriveToBlockAsync(attacker, i => Request(HttpMethod.Get, "api/v1/user", victim.Name!, $"guess-{i}"));

        // Used to clear the whole table at 100,000 names and write an audit row per attempt; 2,000 shows the trend.
        var clock = Stopwatch.StartNew();
        var sent = 0;
        for (; sent < 2000 && clock.Elapsed < Deadline; sent++)
        {
            var name = "n" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            using var request = sent % 2 == 0
                ? Request(HttpMethod.Get, "api/v1/user", name, "berth_pat_" + name)
                : TokenRequest(name, "password-" + name, "repository:x/y:pull");
            using var response = await attacker.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"spray answered {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter?.Delta);
            }
        }

        Assert.Equal(2000, sent);

        // Still blocked against the victim (whatever the password), and still refused across accounts.
        using (var right = await attacker.SendAsync(Request(HttpMethod.Get, "api/v1/user", victim.Name!, victim.Secret!)))
        {
            await ExpectThrottledAsync(right);
        }

        // The victim is unaffected from its own address.
        using (var own = await victim.SendAsync(HttpMethod.Get, "api/v1/user"))
        {
            await Expect.StatusAsync(own, HttpStatusCode.OK);
        }

        // A few audit rows per window and key, not one per attempt.
        var rows = await AuditRowsFromAsync(Attacker);
        Assert.True(rows is > 0 and <= 100, $"{rows} login audit rows for 2,000+ failed attempts from {Attacker}");
    }

    [Fact]
    public async Task Concurrent_failures_from_one_address_are_all_answered_and_still_throttle_it()
    {
        // Sixteen wrong passwords released together race to create and count the same throttle rows.
        var victim = await Site.CreateUserAsync("burst");
        var attacker = Site.ClientFrom("127.0.0.10");
        using var start = new SemaphoreSlim(0);
        var attempts = Enumerable.Range(0, 16).Select(async i =>
        {
            await start.WaitAsync();
            using var response = await attacker.SendAsync(TokenRequest(victim.Name!, $"burst-{i}", $"repository:{victim.Name}/app:pull"));
            return (response.StatusCode, response.Headers.RetryAfter?.Delta);
        }).ToList();
        start.Release(attempts.Count);
        var answers = await Task.WhenAll(attempts);

        // No conflict on the shared rows becomes a server error; every refusal is a 401 or a 429 that says how long.
        Assert.All(answers, a => Assert.True(
            a.StatusCode == HttpStatusCode.Unauthorized || (a.StatusCode == HttpStatusCode.TooManyRequests && a.Delta is not null),
            $"a concurrent failure was answered {(int)a.StatusCode}"));

        // Every failure counted: the address is (or soon is) blocked against the victim, who still gets in elsewhere.
        await DriveToBlockAsync(attacker, i => TokenRequest(victim.Name!, $"after-{i}", $"repository:{victim.Name}/app:pull"), minRetryAfter: 1, maxAttempts: 8);
        Assert.Equal(HttpStatusCode.OK, (await victim.TokenAsync($"repository:{victim.Name}/app:pull")).Status);
    }

    /// <summary>Sends wrong credentials until the server throttles (429 with a Retry-After of at least <paramref name="minRetryAfter"/> s), waiting out shorter blocks as told.</summary>
    private static async Task DriveToBlockAsync(HttpClient client, Func<int, HttpRequestMessage> wrong, int minRetryAfter = 4, int maxAttempts = 40)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < maxAttempts && clock.Elapsed < Deadline; i++)
        {
            using var request = wrong(i);
            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                continue;
            }

            var wait = await ExpectThrottledAsync(response);
            if (wait >= TimeSpan.FromSeconds(minRetryAfter))
            {
                return;
            }

            // The block is a delay the server names: wait it out, the next failure doubles it.
            await Task.Delay(wait);
        }

        Assert.Fail($"no Retry-After of {minRetryAfter} s or more after {maxAttempts} wrong attempts");
    }

    private static async Task<TimeSpan> ExpectThrottledAsync(HttpResponseMessage response)
    {
        await Expect.StatusAsync(response, HttpStatusCode.TooManyRequests);
        var delta = response.Headers.RetryAfter?.Delta;
        Assert.True(delta is { TotalSeconds: >= 1 }, $"{Expect.Describe(response)}: 429 without a Retry-After in seconds");
        return delta!.Value;
    }

    private async Task<int> AuditRowsFromAsync(string address)
    {
        var count = 0;
        for (var page = 1; page <= 50; page++)
        {
            var rows = (await Site.Admin.GetJsonAsync($"api/v1/audit?n=100&page={page}")).AsArray();
            count += rows.Count(r => (string?)r!["address"] == address && ((string?)r["action"])!.StartsWith("login.", StringComparison.Ordinal));
            if (rows.Count < 100)
            {
                return count;
            }
        }

        Assert.Fail("more than 5,000 audit rows");
        return count;
    }

    private HttpRequestMessage TokenRequest(string user, string secret, string scope) =>
        Request(HttpMethod.Get, $"token?service={Site.Service}&scope={Uri.EscapeDataString(scope)}", user, secret);

    private static HttpRequestMessage Request(HttpMethod method, string path, string user, string secret)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        return request;
    }
}
