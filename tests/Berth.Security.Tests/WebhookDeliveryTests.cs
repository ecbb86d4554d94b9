using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// One site whose webhooks may reach 127.0.0.1 (<c>--webhook-allow-hosts</c>), with retries a fraction of a second
/// apart and webhooks disabled after 5 s of failures, and one receiver, shared by the delivery tests (each test has
/// its own user, repository and receiver paths).
/// </summary>
public sealed class WebhookDeliveryFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public WebhookReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        Site = await Site.StartAsync(
        [
            "--webhook-allow-hosts", "127.0.0.1",
            "--webhook-timeout-seconds", "5",
            "--webhook-disable-after-hours", "0.0015",
            "--Berth:WebhookRetryFirstSeconds", "0.2",
            "--Berth:WebhookRetryMaxSeconds", "0.5",
        ]);
    }

    public async Task<(Actor Owner, string Repo)> NewRepositoryAsync(string prefix)
    {
        var owner = await Site.CreateUserAsync(prefix);
        var repo = $"{owner.Name}/app";
        using var response = await owner.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = repo, ["visibility"] = "private" });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return (owner, repo);
    }

    public async Task DisposeAsync()
    {
        await Site.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Issue 12, points 2–5: deliveries are signed as Standard Webhooks, carry the documented payload, are retried and
/// logged attempt by attempt, can be redelivered, disable a webhook that keeps failing, follow no redirect, and go
/// out in order with one request in flight per webhook.
/// </summary>
public sealed class WebhookDeliveryTests(WebhookDeliveryFixture fixture) : IClassFixture<WebhookDeliveryFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private WebhookReceiver Receiver => fixture.Receiver;

    [Fact]
    public async Task A_push_arrives_signed_with_repository_tag_digest_and_docker_hub_fields()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookpush");
        var path = $"/{owner.Name}/push";
        var hook = await Webhooks.CreateAsync(owner, repo, Receiver.Url(path), "push");
        var image = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(owner.Registry, repo, image, "v1");

        var got = Assert.Single(await Receiver.WaitForAsync(r => r.Any(x => x.Path == path), Limit, "the push"), r => r.Path == path);
        Assert.True(WebhookReceiver.Verify(hook.Secret, got.Id, got.Timestamp, got.Signature, got.Body));
        Assert.False(WebhookReceiver.Verify(hook.Secret, got.Id, got.Timestamp, got.Signature, got.Body.Replace("v1", "v2", StringComparison.Ordinal)));
        Assert.False(WebhookReceiver.Verify(hook.Secret, got.Id, (long.Parse(got.Timestamp!) + 1).ToString(), got.Signature, got.Body));
        Assert.StartsWith("msg_", got.Id, StringComparison.Ordinal);
        Assert.InRange(long.Parse(got.Timestamp!), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.StartsWith("application/json", got.ContentType, StringComparison.Ordinal);
        Assert.StartsWith("Berth-Webhooks/", got.UserAgent, StringComparison.Ordinal);

        var payload = JsonNode.Parse(got.Body)!;
        Assert.Equal("push", (string?)payload["type"]);
        var data = payload["data"]!;
        Assert.Equal(repo, (string?)data["repository"]!["name"]);
        Assert.Equal(owner.Name, (string?)data["repository"]!["namespace"]);
        Assert.Equal("private", (string?)data["repository"]!["visibility"]);
        Assert.Equal("v1", (string?)data["tag"]);
        Assert.Equal(image.Manifest.Digest, (string?)data["digest"]);
        Assert.Equal(image.AllContent.Sum(b => b.Size), (long)data["size"]!);
        Assert.Equal(owner.Name, (string?)data["pusher"]);
        Assert.Equal($"podman pull {fixture.Site.HostPort}/{repo}:v1", (string?)data["pull_command"]);
        Assert.Equal("v1", (string?)payload["push_data"]!["tag"]);
        Assert.Equal(owner.Name, (string?)payload["push_data"]!["pusher"]);
        Assert.Equal(repo, (string?)payload["repository"]!["repo_name"]);
        Assert.True((bool)payload["repository"]!["is_private"]!);

        // The log says so, with the body exactly as signed.
        var log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 1 && (string?)l[0]["state"] == "delivered", Limit);
        var details = await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!);
        Assert.Equal(got.Id, (string?)details["messageId"]);
        Assert.Equal(got.Body, (string?)details["payload"]);
        Assert.Equal(200, (int)details["attemptLog"]![0]!["statusCode"]!);
        Assert.Equal("ok", (string?)details["attemptLog"]![0]!["responseExcerpt"]);
    }

    [Fact]
    public async Task Webhooks_hear_only_of_their_own_repository_or_namespace()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookscope");
        var admin = fixture.Site.Admin;
        var top = $"top{Guid.NewGuid():N}"[..12];
        string[] paths = [$"/{owner.Name}/repo", $"/{owner.Name}/ns", $"/{owner.Name}/top"];
        await Webhooks.CreateAsync(owner, repo, Receiver.Url(paths[0]), "push");
        using (var ns = await owner.SendAsync(HttpMethod.Post, "api/v1/user/webhooks", new JsonObject { ["url"] = Receiver.Url(paths[1]), ["events"] = new JsonArray("push") }))
        {
            await Expect.StatusAsync(ns, HttpStatusCode.Created);
        }

        using (var created = await admin.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = top }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        await Webhooks.CreateAsync(admin, top, Receiver.Url(paths[2]), "push");

        // Pushes elsewhere first (another repository of the namespace, a top-level one without webhooks, made by the
        // push), then one to each hooked repository: deliveries go in order, so anything queued wrongly comes first.
        var factory = new ImageFactory();
        await V2.PushImageAsync(owner.Registry, $"{owner.Name}/other", factory.CreateImage(layers: 1), "o1");
        await V2.PushImageAsync(admin.Registry, top + "x", factory.CreateImage(layers: 1), "x1");
        await V2.PushImageAsync(owner.Registry, repo, factory.CreateImage(layers: 1), "r1");
        await V2.PushImageAsync(admin.Registry, top, factory.CreateImage(layers: 1), "t1");

        await Receiver.WaitForAsync(r => r.Count(x => x.Path == paths[0]) >= 1 && r.Count(x => x.Path == paths[1]) >= 2 && r.Count(x => x.Path == paths[2]) >= 1, Limit, "the pushes");
        List<string> Tags(string path) => Receiver.At(path).Select(x => (string)JsonNode.Parse(x.Body)!["data"]!["tag"]!).ToList();
        Assert.Equal(["r1"], Tags(paths[0]));
        Assert.Equal(["o1", "r1"], Tags(paths[1]));
        Assert.Equal(["t1"], Tags(paths[2]));
    }

    [Fact]
    public async Task Concurrent_pushes_reach_every_webhook_once_each_and_in_one_order()
    {
        // The index inserts a push's deliveries, one per webhook, in one statement inside the event's transaction:
        // pushes racing each other must still give each webhook every push once, and all webhooks the same order
        // (the order the pushes were committed in).
        const int Pushes = 12;
        var (owner, repo) = await fixture.NewRepositoryAsync("hookrace");
        string[] paths = [$"/{owner.Name}/a", $"/{owner.Name}/b", $"/{owner.Name}/c"];
        await Webhooks.CreateAsync(owner, repo, Receiver.Url(paths[0]), "push");
        await Webhooks.CreateAsync(owner, repo, Receiver.Url(paths[1]), "push");
        using (var ns = await owner.SendAsync(HttpMethod.Post, "api/v1/user/webhooks", new JsonObject { ["url"] = Receiver.Url(paths[2]), ["events"] = new JsonArray("push") }))
        {
            await Expect.StatusAsync(ns, HttpStatusCode.Created);
        }

        var factory = new ImageFactory();
        var images = Enumerable.Range(0, Pushes).Select(_ => factory.CreateImage(layers: 1)).ToList();
        await Task.WhenAll(images.Select((image, i) => V2.PushImageAsync(owner.Registry, repo, image, $"c{i}")));

        await Receiver.WaitForAsync(r => paths.All(p => r.Count(x => x.Path == p) >= Pushes), Limit, "every push at every webhook");
        List<string> Tags(string path) => Receiver.At(path).Select(x => (string)JsonNode.Parse(x.Body)!["data"]!["tag"]!).ToList();
        var first = Tags(paths[0]);
        Assert.Equal(Enumerable.Range(0, Pushes).Select(i => $"c{i}").Order(), first.Order());
        Assert.All(paths, path => Assert.Equal(first, Tags(path)));
        var ids = paths.SelectMany(path => Receiver.At(path).Select(x => x.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_payload_and_each_event()
    {
        using var response = await fixture.Site.Http.GetAsync("api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var schema = document["components"]!["schemas"]!["WebhookPayload"]!;
        var properties = schema["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["type", "timestamp", "data", "push_data", "repository"], properties);
        var webhooks = document["webhooks"]!.AsObject();
        Assert.Equal(
            ["push", "tag.deleted", "manifest.deleted", "repository.created", "repository.deleted", "repository.visibility.changed", "star", "comment", "ping"],
            webhooks.Select(w => w.Key));
        Assert.Equal("#/components/schemas/WebhookPayload", (string?)webhooks["push"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]);
    }

    [Fact]
    public async Task Failed_attempts_are_logged_and_retried_and_a_redelivery_repeats_the_message_id()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookretry");
        var path = $"/{owner.Name}/flaky";
        Receiver.Answer(path, 500);
        var hook = await Webhooks.CreateAsync(owner, repo, Receiver.Url(path), "tag.deleted", "push");
        await V2.PushImageAsync(owner.Registry, repo, new ImageFactory().CreateImage(layers: 1), "v1");

        // Three answers of 500, each an attempt in the log with its status and error; then the receiver recovers.
        await Receiver.WaitForAsync(r => r.Count(x => x.Path == path) >= 3, Limit, "three attempts");
        Receiver.Answer(path, 204);
        var log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 1 && (string?)l[0]["state"] == "delivered", Limit);
        var details = await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!);
        var attempts = details["attemptLog"]!.AsArray();
        Assert.True(attempts.Count >= 4, details.ToJsonString());
        Assert.All(attempts.Take(attempts.Count - 1), a =>
        {
            Assert.Equal(500, (int)a!["statusCode"]!);
            Assert.Contains("500", (string?)a["error"], StringComparison.Ordinal);
            Assert.Equal("answered 500", (string?)a["responseExcerpt"]);
        });
        Assert.Equal(204, (int)attempts[^1]!["statusCode"]!);
        Assert.Null(attempts[^1]!["error"]);
        var arrivals = Receiver.At(path);
        Assert.Single(arrivals.Select(a => a.Id).Distinct());

        // A redelivery: the same message id and body, a second (successful) arrival, its own log entry.
        using var redeliver = await owner.SendAsync(HttpMethod.Post, $"{hook.Path}/deliveries/{(long)log[0]["id"]!}/redeliver");
        await Expect.StatusAsync(redeliver, HttpStatusCode.Accepted);
        var after = await Receiver.WaitForAsync(r => r.Count(x => x.Path == path) == arrivals.Count + 1, Limit, "the redelivery");
        var again = after.Last(x => x.Path == path);
        Assert.Equal(arrivals[^1].Id, again.Id);
        Assert.Equal(arrivals[^1].Body, again.Body);
        Assert.True(WebhookReceiver.Verify(hook.Secret, again.Id, again.Timestamp, again.Signature, again.Body));
        log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 2 && l.All(d => (string?)d["state"] == "delivered"), Limit);
        Assert.Equal((long)log[0]["id"]!, (long)log[1]["redeliveryOf"]!);
    }

    [Fact]
    public async Task A_webhook_failing_for_the_configured_time_is_disabled_with_the_reason_shown()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookdown");
        var path = $"/{owner.Name}/down";
        Receiver.Answer(path, 503);
        var hook = await Webhooks.CreateAsync(owner, repo, Receiver.Url(path), "push");
        var factory = new ImageFactory();
        await V2.PushImageAsync(owner.Registry, repo, factory.CreateImage(layers: 1), "v1");
        await V2.PushImageAsync(owner.Registry, repo, factory.CreateImage(layers: 1), "v2");

        // Disabled after 5.4 s of failures (--webhook-disable-after-hours 0.0015).
        var webhook = await Eventually.JsonAsync(owner, hook.Path, w => !(bool)w["enabled"]!);
        var reason = (string)webhook["disabledReason"]!;
        Assert.Contains("503", reason, StringComparison.Ordinal);
        Assert.Contains("failed since", reason, StringComparison.Ordinal);
        Assert.NotNull(webhook["disabledAt"]);

        // Nothing more goes out, and what waited is given up (not kept for a later re-enable to flood).
        var log = await Webhooks.DeliveriesAsync(owner, hook);
        Assert.Equal(2, log.Count);
        Assert.All(log, d => Assert.Equal("failed", (string?)d["state"]));
        var first = await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!);
        Assert.True(first["attemptLog"]!.AsArray().Count >= 2);
        Assert.All(first["attemptLog"]!.AsArray(), a => Assert.Equal(503, (int)a!["statusCode"]!));
        Assert.DoesNotContain(Receiver.At(path), r => r.Body.Contains("\"v2\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_the_attempt_says_so()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookredirect");
        var path = $"/{owner.Name}/moved";
        var elsewhere = $"/{owner.Name}/elsewhere";
        Receiver.Answer(path, 302, Receiver.Url(elsewhere));
        var hook = await Webhooks.CreateAsync(owner, repo, Receiver.Url(path), "push");
        await V2.PushImageAsync(owner.Registry, repo, new ImageFactory().CreateImage(layers: 1), "v1");

        var log = await Webhooks.WaitForLogAsync(owner, hook, l => l.Count == 1 && (int)l[0]["attempts"]! >= 2, Limit);
        var attempt = (await Webhooks.DeliveryAsync(owner, hook, (long)log[0]["id"]!))["attemptLog"]![0]!;
        Assert.Equal(302, (int)attempt["statusCode"]!);
        Assert.Equal($"redirect not followed (Location {Receiver.Url(elsewhere)})", (string?)attempt["error"]);
        Assert.Empty(Receiver.At(elsewhere));
        Assert.NotEmpty(Receiver.At(path));
    }

    [Fact]
    public async Task Concurrent_pushes_reach_each_webhook_once_each_in_feed_order_one_request_at_a_time()
    {
        var (owner, repo) = await fixture.NewRepositoryAsync("hookrace");
        string[] paths = [$"/{owner.Name}/one", $"/{owner.Name}/two"];
        var hooks = new List<CreatedHook>();
        foreach (var path in paths)
        {
            Receiver.SlowDown(path, TimeSpan.FromMilliseconds(40));
            hooks.Add(await Webhooks.CreateAsync(owner, repo, Receiver.Url(path), "push"));
        }

        // Four clients, three tags each, all at once.
        var factory = new ImageFactory();
        var clients = Enumerable.Range(0, 4).Select(_ => fixture.Site.As(owner.Name!, owner.Secret!)).ToList();
        var tags = new List<string>();
        var pushes = clients.Select((client, c) => Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await V2.PushImageAsync(client.Registry, repo, factory.CreateImage(layers: 1), $"c{c}-{i}");
            }
        }));
        await Task.WhenAll(pushes);
        for (var c = 0; c < 4; c++)
        {
            for (var i = 0; i < 3; i++)
            {
                tags.Add($"c{c}-{i}");
            }
        }

        foreach (var (path, hook) in paths.Zip(hooks))
        {
            var got = (await Receiver.WaitForAsync(r => r.Count(x => x.Path == path) >= tags.Count, Limit, $"{tags.Count} pushes at {path}"))
                .Where(x => x.Path == path)
                .ToList();
            Assert.Equal(tags.Count, got.Count);
            Assert.Equal(tags.Count, got.Select(x => x.Id).Distinct().Count());
            var receivedTags = got.Select(x => (string)JsonNode.Parse(x.Body)!["data"]!["tag"]!).ToList();
            Assert.Equal(tags.Order(StringComparer.Ordinal), receivedTags.Order(StringComparer.Ordinal));

            // Feed order: the order the deliveries were queued in (the delivery log), the same for both webhooks.
            var log = await Webhooks.DeliveriesAsync(owner, hook);
            Assert.Equal(log.Select(d => (string)d["messageId"]!), got.Select(x => x.Id!));
            Assert.Equal(1, Receiver.MaxInFlight(path));
        }

        var orders = paths.Select(p => Receiver.At(p).Select(x => (string)JsonNode.Parse(x.Body)!["data"]!["tag"]!).ToList()).ToList();
        Assert.Equal(orders[0], orders[1]);

        // Each client's own pushes were committed in its order, so they arrive in it.
        for (var c = 0; c < 4; c++)
        {
            var mine = orders[0].Where(t => t.StartsWith($"c{c}-", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"c{c}-0", $"c{c}-1", $"c{c}-2"], mine);
        }
    }
}
