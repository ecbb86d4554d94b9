using System.Net;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: <c>--metrics-urls</c> moves <c>/metrics</c> to a listener of its own: the main port no longer serves
/// it, the metrics port serves nothing else, and a <c>Host</c> header naming the metrics port changes neither.
/// </summary>
public sealed class MetricsListenerTests
{
    [Fact]
    public async Task Metrics_are_served_only_on_the_metrics_port()
    {
        var metricsPort = RegistryServer.FreeLoopbackPort();
        await using var server = await RegistryServer.StartAsync(extraArgs: ["--metrics-urls", $"http://127.0.0.1:{metricsPort}"]);
        using var main = new HttpClient { BaseAddress = server.BaseUri };
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/") };

        using (var scrape = await metrics.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Contains("berth_uploads_in_progress", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var onMain = await main.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
        }

        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, "metrics"))
        {
            spoofed.Headers.Host = $"127.0.0.1:{metricsPort}";
            using var response = await main.SendAsync(spoofed);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var registry = await metrics.GetAsync("v2/"))
        {
            Assert.Equal(HttpStatusCode.NotFound, registry.StatusCode);
        }

        using (var registry = await main.GetAsync("v2/"))
        {
            Assert.Equal(HttpStatusCode.OK, registry.StatusCode);
        }
    }

    [Fact]
    public async Task A_metrics_url_on_the_main_port_is_a_usage_error()
    {
        var port = RegistryServer.FreeLoopbackPort();
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RegistryServer.StartAsync(port: port, extraArgs: ["--metrics-urls", $"http://localhost:{port}"]));
        Assert.Contains("has the port of a main address", failed.Message, StringComparison.Ordinal);
    }
}
