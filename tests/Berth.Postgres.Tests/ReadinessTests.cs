using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Postgres.Tests.Support;
using Berth.Testing;

namespace Berth.Postgres.Tests;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c> (issue 14) against real dependencies: PostgreSQL stopped, then s3rver stopped,
/// under a running Berth. Liveness stays 200 throughout; readiness is 503 naming the dependency that is down, and 200
/// again once it is back, without a restart.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readiness_follows_the_database_and_the_storage_while_liveness_stays_up()
    {
        await using var cluster = await PrivatePostgres.CreateAsync();
        await using var s3 = await S3rver.StartAsync();
        await using var server = await RegistryServer.StartAsync(extraArgs:
            ["--database", "postgres", "--connection-string", cluster.ConnectionString("berth"), .. s3.ServerArgs(), "--admin-password", "Adm1nPassw0rd!"]);
        using var http = Images.Client(server.BaseUri);

        await AssertProbeAsync(http, "healthz", HttpStatusCode.OK, null);
        await AssertProbeAsync(http, "readyz", HttpStatusCode.OK, new() { ["database"] = "ok", ["storage"] = "ok" });

        await cluster.StopAsync();
        await AssertProbeAsync(http, "readyz", HttpStatusCode.ServiceUnavailable, new() { ["database"] = "unavailable", ["storage"] = "ok" });

        // Registry requests meanwhile, a push's first step and a read: 503 in the spec's error shape, not a 500 or a cut.
        using (var push = await http.PostAsync(new Uri("v2/ready/app/blobs/uploads/", UriKind.Relative), null))
        {
            await AssertUnavailableAsync(push, "POST uploads");
        }

        using (var catalog = await http.GetAsync(new Uri("v2/_catalog", UriKind.Relative)))
        {
            await AssertUnavailableAsync(catalog, "GET catalog");
        }

        await AssertProbeAsync(http, "healthz", HttpStatusCode.OK, null);
        await cluster.StartAsync();
        await WaitForReadyAsync(http);

        await s3.StopAsync();
        await AssertProbeAsync(http, "readyz", HttpStatusCode.ServiceUnavailable, new() { ["database"] = "ok", ["storage"] = "unavailable" });
        await AssertProbeAsync(http, "healthz", HttpStatusCode.OK, null);
        await s3.RestartAsync();
        await WaitForReadyAsync(http);
    }

    [Fact]
    public async Task On_sqlite_and_files_both_probes_answer_200_without_credentials()
    {
        await using var server = await RegistryServer.StartAsync(extraArgs: ["--auth", "token", "--admin-password", "Adm1nPassw0rd!"]);
        using var http = Images.Client(server.BaseUri);

        await AssertProbeAsync(http, "healthz", HttpStatusCode.OK, null);
        await AssertProbeAsync(http, "readyz", HttpStatusCode.OK, new() { ["database"] = "ok", ["storage"] = "ok", ["disk"] = "ok" });
    }

    private static async Task AssertProbeAsync(HttpClient http, string path, HttpStatusCode status, Dictionary<string, string>? checks)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {body.ToJsonString()}");
        Assert.Equal(status == HttpStatusCode.OK ? "ok" : "unavailable", (string?)body["status"]);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        if (checks is not null)
        {
            Assert.Equal(checks, body["checks"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!));
        }
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)response.StatusCode} {body}");
        Assert.True(response.Headers.RetryAfter is not null, $"{what}: no Retry-After");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("UNAVAILABLE", (string?)error["code"]);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
    }

    private static async Task WaitForReadyAsync(HttpClient http)
    {
        var clock = Stopwatch.StartNew();
        var last = HttpStatusCode.ServiceUnavailable;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await http.GetAsync(new Uri("readyz", UriKind.Relative));
            last = response.StatusCode;
            if (last == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"/readyz still answered {(int)last} 30 s after the dependency came back");
    }
}
