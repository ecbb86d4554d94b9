using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 12, point 5: without the allow-list, webhooks cannot target loopback, link-local (the cloud metadata
/// service), private addresses or a name resolving to loopback: refused at creation, and at connect time for a
/// webhook whose target became forbidden (here: made while the allow-list named it, the server restarted without).
/// </summary>
public sealed class WebhookSsrfTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    [Fact]
    public async Task Internal_targets_are_refused_at_creation_and_at_connect_time()
    {
        var receiver = Own(await WebhookReceiver.StartAsync());
        var allowing = Own(await Site.StartAsync(["--webhook-allow-hosts", "localhost"]));
        var owner = await allowing.CreateUserAsync("hookssrf");
        var repo = $"{owner.Name}/app";
        using (var created = await owner.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = repo }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        var url = $"http://localhost:{receiver.Port}/internal";
        var hook = await Webhooks.CreateAsync(owner, repo, url, "push");
        await allowing.Server.KillAsync();

        // The same data, no allow-list.
        var site = Own(await Site.StartAsync(["--data-dir", allowing.Server.DataDir]));
        owner = site.As(owner.Name!, owner.Secret!);
        var path = $"api/v1/repositories/{repo}/-/webhooks";
        foreach (var target in new[]
        {
            $"http://127.0.0.1:{receiver.Port}/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x", $"http://localhost:{receiver.Port}/x",
            "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://[fd00:ec2::254]/x", "http://0.0.0.0/x", "http://100.64.0.1/x", "http://192.168.1.1/x",
        })
        {
            using var refused = await owner.SendAsync(HttpMethod.Post, path, new JsonObject { ["url"] = target });
            await Expect.StatusAsync(refused, HttpStatusCode.BadRequest);
            Assert.Contains("internal", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var update = await owner.SendAsync(HttpMethod.Patch, hook.Path, new JsonObject { ["url"] = target });
            await Expect.StatusAsync(update, HttpStatusCode.BadRequest);
        }

        // Made when it was allowed: delivery checks the address it connects to, and refuses.
        await V2.PushImageAsync(owner.Registry, repo, new ImageFactory().CreateImage(layers: 1), "v1");
        var log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 1 && (int)l[0]["attempts"]! >= 1, TimeSpan.FromSeconds(20));
        var attempt = (await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!))["attemptLog"]![0]!;
        Assert.Null(attempt["statusCode"]);
        Assert.Contains("refused by the SSRF guard: localhost resolves to ", (string?)attempt["error"], StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private T Own<T>(T owned)
        where T : IAsyncDisposable
    {
        _owned.Add(owned);
        return owned;
    }
}
