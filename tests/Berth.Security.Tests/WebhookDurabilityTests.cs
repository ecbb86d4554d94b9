using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 12, point 2: events live in the database, written with the push, and each webhook queues its deliveries from
/// them: a receiver that is down while the server is SIGKILLed and restarted still gets every event, once per message
/// id, in push order; one that is down for many pushes holds a bounded queue and still gets every one.
/// </summary>
public sealed class WebhookDurabilityTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private Site _site = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _receiver.StopAsync(); // down until the server has been killed and restarted
        _site = await Site.StartAsync(
        [
            "--webhook-allow-hosts", "127.0.0.1",
            "--webhook-timeout-seconds", "2",
            "--Berth:WebhookRetryFirstSeconds", "0.2",
            "--Berth:WebhookRetryMaxSeconds", "1",
        ]);
    }

    [Fact]
    public async Task Three_pushes_while_the_receiver_is_down_arrive_once_each_in_order_after_a_kill_and_restart()
    {
        var owner = await _site.CreateUserAsync("hookdurable");
        var repo = $"{owner.Name}/app";
        using (var created = await owner.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = repo }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        var hook = await Webhooks.CreateAsync(owner, repo, _receiver.Url("/durable"), "push");
        var factory = new ImageFactory();
        string[] tags = ["one", "two", "three"];
        foreach (var tag in tags)
        {
            await V2.PushImageAsync(owner.Registry, repo, factory.CreateImage(layers: 1), tag);
        }

        // All three queued, the first failing against the closed port (so the kill comes while they are retried).
        var log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 3 && (int)l[0]["attempts"]! >= 1, Limit);
        Assert.All(log, d => Assert.Equal("pending", (string?)d["state"]));
        Assert.Contains("refused", (string?)(await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!))["attemptLog"]![0]!["error"], StringComparison.OrdinalIgnoreCase);

        await _site.Server.KillAsync();
        await _site.Server.RestartAsync();
        await _receiver.StartAsync();

        var got = await _receiver.WaitForAsync(r => r.Count >= 3, Limit, "the three pushes");
        Assert.Equal(log.Select(d => (string)d["messageId"]!), got.Select(r => r.Id!));
        Assert.Equal(tags, got.Select(r => (string)JsonNode.Parse(r.Body)!["data"]!["tag"]!));
        Assert.All(got, r => Assert.True(WebhookReceiver.Verify(hook.Secret, r.Id, r.Timestamp, r.Signature, r.Body)));

        // Once each: nothing more comes once the log says all three were delivered.
        await Webhooks.WaitForLogAsync(owner, hook, l => l.All(d => (string?)d["state"] == "delivered"), Limit);
        Assert.Equal(3, _receiver.Received.Count);
    }

    [Fact]
    public async Task A_receiver_down_for_many_pushes_holds_a_bounded_queue_and_gets_every_push_once_in_order_when_back()
    {
        const int Pushes = 130; // more than two windows of 50 queued deliveries
        var owner = await _site.CreateUserAsync("hookbacklog");
        var repo = $"{owner.Name}/app";
        using (var created = await owner.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = repo }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        var hook = await Webhooks.CreateAsync(owner, repo, _receiver.Url("/backlog"), "push");
        var factory = new ImageFactory();
        var tags = Enumerable.Range(0, Pushes).Select(i => $"t{i:000}").ToList();
        var image = factory.CreateImage(layers: 1);
        foreach (var tag in tags)
        {
            await V2.PushImageAsync(owner.Registry, repo, image, tag);
        }

        // The head is retried against the closed port; the rest wait in the feed, not as queued deliveries.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonArray queued;
        while ((queued = (await owner.GetJsonAsync($"{hook.Path}/deliveries?n=100")).AsArray()).Count == 0 || (int)queued[^1]!["attempts"]! < 2)
        {
            Assert.True(clock.Elapsed < Limit, $"the first delivery was not retried within {Limit.TotalSeconds} s");
            await Task.Delay(100);
        }

        Assert.InRange(queued.Count, 1, 50);

        await _receiver.StartAsync();
        var got = await _receiver.WaitForAsync(r => r.Count >= Pushes, TimeSpan.FromSeconds(90), $"the {Pushes} pushes");
        Assert.Equal(tags, got.Select(r => (string)JsonNode.Parse(r.Body)!["data"]!["tag"]!));
        Assert.Equal(Pushes, got.Select(r => r.Id).Distinct().Count());
        await Webhooks.WaitForLogAsync(owner, hook, l => l.Count > 0 && l.All(d => (string?)d["state"] == "delivered"), Limit);
        Assert.Equal(Pushes, _receiver.Received.Count);
    }

    public async Task DisposeAsync()
    {
        await _site.DisposeAsync();
        await _receiver.DisposeAsync();
    }
}
