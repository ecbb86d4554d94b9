using Prometheus;

namespace Berth.Server.Hosting;

/// <summary>
/// Where <c>/metrics</c> is served: on the main listener by default; with <c>--metrics-urls</c>, only on those
/// addresses (a port a firewall keeps private), where nothing else is served. A request belongs to the metrics
/// listener by the local port it arrived on, never by its <c>Host</c> header, which the client chooses.
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>Adds the metrics addresses to the ones Kestrel listens on (to its configured endpoints, if any).</summary>
    public static void AddMetricsListener(this WebApplicationBuilder builder, BerthOptions options)
    {
        var urls = MetricsUrls(options);
        if (urls.Count == 0)
        {
            return;
        }

        var configuration = builder.Configuration;
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().ToList();
        var main = endpoints.Count > 0
            ? endpoints.Select(e => e["Url"]).OfType<string>()
            : (configuration["urls"] ?? CommandLine.DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ports = main.Select(url => BindingAddress.Parse(url).Port).ToHashSet();
        foreach (var url in urls)
        {
            if (ports.Contains(BindingAddress.Parse(url).Port))
            {
                throw new ConfigurationException($"--metrics-urls: {url} has the port of a main address; the metrics listener needs its own");
            }
        }

        if (endpoints.Count > 0)
        {
            for (var i = 0; i < urls.Count; i++)
            {
                configuration[$"Kestrel:Endpoints:BerthMetrics{i}:Url"] = urls[i];
            }
        }
        else
        {
            builder.WebHost.UseUrls([.. main, .. urls]);
        }
    }

    /// <summary>Serves <c>/metrics</c> (in place of <c>MapMetrics</c>) and keeps Berth's scrape-time gauges current.</summary>
    public static void MapBerthMetrics(this WebApplication app, BerthOptions options)
    {
        BerthMetrics.RefreshOnScrape(app.Services);
        var ports = MetricsUrls(options).Select(url => BindingAddress.Parse(url).Port).ToHashSet();
        if (ports.Count == 0)
        {
            app.MapMetrics("/metrics");
            return;
        }

        app.MapWhen(http => ports.Contains(http.Connection.LocalPort), listener =>
        {
            listener.UseMetricServer("/metrics");
            listener.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }

    private static List<string> MetricsUrls(BerthOptions options)
    {
        var urls = (options.MetricsUrls ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var url in urls)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                throw new ConfigurationException($"--metrics-urls: '{url}' is not a URL such as http://127.0.0.1:9100");
            }

            if (address.IsUnixPipe || address.Port == 0)
            {
                throw new ConfigurationException($"--metrics-urls: '{url}' needs a TCP port of its own, such as http://127.0.0.1:9100");
            }
        }

        return urls;
    }
}
