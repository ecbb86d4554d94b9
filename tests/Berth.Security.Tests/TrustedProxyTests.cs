using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>Berth behind a "load balancer" on 127.0.0.1 (<c>--trusted-proxies 127.0.0.1/32</c>), and one with a <c>--public-url</c>.</summary>
public sealed class TrustedProxyFixture : IAsyncLifetime
{
    public const string PublicUrl = "https://registry.example.test:8443";

    public Site BehindProxy { get; private set; } = null!;

    public Site WithPublicUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        BehindProxy = await Site.StartAsync(["--trusted-proxies", "127.0.0.1/32"]);
        WithPublicUrl = await Site.StartAsync(["--public-url", PublicUrl]);
    }

    public async Task DisposeAsync()
    {
        await BehindProxy.DisposeAsync();
        await WithPublicUrl.DisposeAsync();
    }
}

/// <summary>
/// Issue 10, stateless nodes: behind a trusted proxy the client's forwarded address is the one the login throttle
/// counts and the forwarded scheme and host make the token realm; from anyone else the headers are ignored. With
/// <c>--public-url</c> the realm is that URL's <c>/token</c>.
/// </summary>
public sealed class TrustedProxyTests(TrustedProxyFixture fixture) : IClassFixture<TrustedProxyFixture>
{
    [Fact]
    public async Task Behind_a_trusted_proxy_the_throttle_counts_the_forwarded_address()
    {
        var site = fixture.BehindProxy;
        var victim = await site.CreateUserAsync("fwd");
        var proxy = site.ClientFrom("127.0.0.1");
        var scope = $"repository:{victim.Name}/app:pull";

        await DriveToRefusalAsync(() => proxy.SendAsync(TokenRequest(victim.Name!, "wrong", scope, forwardedFor: "203.0.113.7")));

        // That client stays refused; another client behind the same proxy is not.
        using (var same = await proxy.SendAsync(TokenRequest(victim.Name!, victim.Secret!, scope, forwardedFor: "203.0.113.7")))
        {
            await Expect.StatusAsync(same, HttpStatusCode.TooManyRequests);
        }

        using var other = await proxy.SendAsync(TokenRequest(victim.Name!, victim.Secret!, scope, forwardedFor: "203.0.113.8"));
        await Expect.StatusAsync(other, HttpStatusCode.OK);
    }

    [Fact]
    public async Task From_an_untrusted_source_a_forged_forwarded_address_does_not_escape_the_throttle()
    {
        var site = fixture.BehindProxy;
        var victim = await site.CreateUserAsync("forge");
        var attacker = site.ClientFrom("127.0.0.41");
        var scope = $"repository:{victim.Name}/app:pull";

        // A fresh forged address on every attempt: were it believed, no key would ever reach its limit.
        var attempt = 0;
        await DriveToRefusalAsync(() => attacker.SendAsync(TokenRequest(victim.Name!, "wrong", scope, forwardedFor: $"198.51.100.{++attempt}")));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_realm_is_the_forwarded_scheme_and_host_and_not_otherwise()
    {
        var site = fixture.BehindProxy;
        using (var viaProxy = await site.ClientFrom("127.0.0.1").SendAsync(Forwarded(new HttpRequestMessage(HttpMethod.Get, "v2/"))))
        {
            await Expect.StatusAsync(viaProxy, HttpStatusCode.Unauthorized);
            Assert.Contains("realm=\"https://lb.example.test/token\"", Expect.Challenge(viaProxy), StringComparison.Ordinal);
        }

        using var direct = await site.ClientFrom("127.0.0.42").SendAsync(Forwarded(new HttpRequestMessage(HttpMethod.Get, "v2/")));
        await Expect.StatusAsync(direct, HttpStatusCode.Unauthorized);
        Assert.Contains($"realm=\"{site.Realm}\"", Expect.Challenge(direct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_public_url_the_realm_is_its_token_endpoint()
    {
        using var response = await fixture.WithPublicUrl.Http.GetAsync("v2/");
        await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains($"realm=\"{TrustedProxyFixture.PublicUrl}/token\"", Expect.Challenge(response), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Forwarded(HttpRequestMessage request)
    {
        request.Headers.Add("X-Forwarded-For", "203.0.113.50");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "lb.example.test");
        return request;
    }

    /// <summary>Wrong passwords until 429: within the five free failures and a few short delays.</summary>
    private static async Task DriveToRefusalAsync(Func<Task<HttpResponseMessage>> wrong)
    {
        for (var i = 0; i < 8; i++)
        {
            using var response = await wrong();
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return;
            }

            await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
        }

        Assert.Fail("eight wrong passwords were never refused");
    }

    private static HttpRequestMessage TokenRequest(string user, string secret, string scope, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"token?service={Site.Service}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return request;
    }
}
