using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Postgres.Tests.Support;
using Berth.Testing;

namespace Berth.Postgres.Tests;

/// <summary>
/// PostgreSQL stopped under a running Berth: requests that need it answer 503 with the spec's error body and
/// <c>Retry-After</c> (not a 500, not a hang), and once it is back the same process serves again.
/// </summary>
public sealed class OutageTests
{
    private const string AdminPassword = "Adm1nPassw0rd!";

    [Fact]
    public async Task A_stopped_database_gives_503_with_a_spec_error_and_Berth_recovers_when_it_returns()
    {
        await using var cluster = await PrivatePostgres.CreateAsync();

        // The database does not exist yet: the first start creates it.
        await using var server = await RegistryServer.StartAsync(extraArgs:
            ["--database", "postgres", "--connection-string", cluster.ConnectionString("berth"), "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        using var http = Images.Client(server.BaseUri);
        var digest = await Images.PushAsync(http, "outage/app", "v1");
        var pid = server.ProcessId;

        await cluster.StopAsync();

        foreach (var path in new[] { "v2/outage/app/tags/list", "v2/outage/app/manifests/v1", "v2/_catalog" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            await AssertUnavailableAsync(response, path);
        }

        // Outside /v2 too: the token endpoint (registry clients' error shape) and the index API (problem details).
        using (var token = new HttpRequestMessage(HttpMethod.Get, "token?service=berth-registry&scope=repository:outage/app:pull"))
        {
            token.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
            using var response = await http.SendAsync(token);
            await AssertUnavailableAsync(response, "token");
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter is not null, "api: no Retry-After");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        await cluster.StartAsync();

        // The same process, without a restart: it serves again once its pool has replaced the dead connections.
        var clock = Stopwatch.StartNew();
        HttpStatusCode status = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await http.GetAsync(new Uri("v2/outage/app/manifests/v1", UriKind.Relative));
            status = response.StatusCode;
            if (status == HttpStatusCode.OK)
            {
                Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
                break;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(pid, server.ProcessId);
        await Images.PushAsync(http, "outage/app", "v2", seed: "after");
        using var tags = await http.GetAsync(new Uri("v2/outage/app/tags/list", UriKind.Relative));
        Assert.Equal(["v1", "v2"], JsonNode.Parse(await tags.Content.ReadAsStringAsync())!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)response.StatusCode} {body}");
        Assert.True(response.Headers.RetryAfter is not null, $"{what}: no Retry-After");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("UNAVAILABLE", error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }
}
