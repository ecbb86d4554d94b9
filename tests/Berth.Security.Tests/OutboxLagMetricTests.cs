using System.Globalization;
using System.Net;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: <c>/metrics</c> reports the outbox's backlog per subscriber (events pending, age of the oldest), so a
/// stalled delivery to the index is visible: here delivery is held (<c>EventDeliveryDelaySeconds</c>) while a push
/// commits its events.
/// </summary>
public sealed class OutboxLagMetricTests
{
    [Fact]
    public async Task Pending_events_and_the_oldest_ones_age_show_while_delivery_is_held()
    {
        await using var server = await RegistryServer.StartAsync(extraArgs: ["--Berth:EventDeliveryDelaySeconds", "300"]);
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        await V2.PushImageAsync(http, "lag/held", new ImageFactory().CreateImage(layers: 1), "v1");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        double pending = 0, lag = 0;
        while (DateTime.UtcNow < deadline)
        {
            var text = await http.GetStringAsync("metrics");
            pending = Value(text, "berth_outbox_pending_events{subscriber=\"index\"}");
            lag = Value(text, "berth_outbox_lag_seconds{subscriber=\"index\"}");
            if (pending >= 1 && lag > 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(pending >= 1, $"pending events: {pending}");
        Assert.True(lag > 0, $"outbox lag: {lag}");
    }

    private static double Value(string scrape, string key)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(key + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(key.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }
}
