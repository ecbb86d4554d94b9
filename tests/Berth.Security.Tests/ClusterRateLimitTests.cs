using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>Three Berth nodes over one database (the second and third use the first's data directory), <c>/token</c> limited to 20/s per address.</summary>
public sealed class ThreeNodeFixture : IAsyncLifetime
{
    public const int TokenRate = 20;

    public IReadOnlyList<Site> Nodes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        string[] args = ["--token-rate-limit", TokenRate.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var first = await Site.StartAsync(args);
        var second = await Site.StartAsync(["--data-dir", first.Server.DataDir, .. args]);
        var third = await Site.StartAsync(["--data-dir", first.Server.DataDir, .. args]);
        Nodes = [first, second, third];
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 10, stateless nodes: the per-address <c>/token</c> rate limit and the login throttle hold across the cluster:
/// a client alternating between three nodes gets about one node's allowance, not three.
/// </summary>
public sealed class ClusterRateLimitTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    // A node's bucket: five seconds' worth, refilled at the rate.
    private const int Burst = ThreeNodeFixture.TokenRate * 5;

    [Fact]
    public async Task A_client_alternating_nodes_gets_one_nodes_token_rate_not_three()
    {
        var clients = fixture.Nodes.Select(n => n.ClientFrom("127.0.0.31")).ToList();
        var admitted = 0;
        var refusedBy = new HashSet<int>();
        const int Requests = 3 * Burst + 150;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Requests; i++)
        {
            using var response = await clients[i % 3].GetAsync($"token?service={Site.Service}&scope=repository:x/y:pull");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                admitted++;
            }
            else
            {
                await Expect.StatusAsync(response, HttpStatusCode.TooManyRequests);
                refusedBy.Add(i % 3);
            }
        }

        var elapsed = clock.Elapsed.TotalSeconds;

        // One node alone admits its burst plus the rate over the elapsed time; each node may overshoot by a report's batch.
        var oneNode = Burst + (ThreeNodeFixture.TokenRate * elapsed);
        Assert.True(admitted <= oneNode + 45, $"{admitted} of {Requests} admitted in {elapsed:F1} s; one node's allowance is {oneNode:F0}");
        Assert.True(admitted >= Burst * 0.8, $"only {admitted} admitted in {elapsed:F1} s; the allowance is {oneNode:F0}");
        Assert.Equal(3, refusedBy.Count);
    }

    [Fact]
    public async Task Wrong_passwords_spread_over_nodes_throttle_the_address_on_every_node()
    {
        var victim = await fixture.Nodes[0].CreateUserAsync("spread");
        var clients = fixture.Nodes.Select(n => n.ClientFrom("127.0.0.32")).ToList();
        var scope = $"repository:{victim.Name}/app:pull";

        // Five free failures per address and account on one node; spread over three they must not become fifteen.
        var firstRefusal = -1;
        for (var i = 0; i < 12 && firstRefusal < 0; i++)
        {
            using var response = await clients[i % 3].SendAsync(TokenRequest(victim.Name!, $"guess-{i}", scope));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                firstRefusal = i;
            }
            else
            {
                await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
            }
        }

        // Per node it would be 15; a block of 1 s may lapse before the next request on a loaded machine, hence a little slack.
        Assert.InRange(firstRefusal, 5, 9);

        // Each further failure, on any node, doubles the block: drive it past 8 s (waiting out shorter ones as told).
        var clock = Stopwatch.StartNew();
        var retryAfter = TimeSpan.Zero;
        for (var i = 0; i < 10 && retryAfter < TimeSpan.FromSeconds(8) && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            await Task.Delay(retryAfter);
            using var response = await clients[i % 3].SendAsync(TokenRequest(victim.Name!, $"more-{i}", scope));
            retryAfter = response.StatusCode == HttpStatusCode.TooManyRequests ? response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero : TimeSpan.Zero;
        }

        Assert.True(retryAfter >= TimeSpan.FromSeconds(8), $"the block never reached 8 s (last Retry-After {retryAfter.TotalSeconds} s)");

        // Every node refuses that address even the right password meanwhile.
        foreach (var client in clients)
        {
            using var right = await client.SendAsync(TokenRequest(victim.Name!, victim.Secret!, scope));
            await Expect.StatusAsync(right, HttpStatusCode.TooManyRequests);
        }
    }

    private static HttpRequestMessage TokenRequest(string user, string secret, string scope)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"token?service={Site.Service}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        return request;
    }
}
