using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 9, point 1: registry events are written with the change they describe (the outbox) and delivered from a
/// durable cursor, so a crash between a manifest's commit and the index update, or an index that is down for a
/// while, loses nothing and duplicates nothing.
/// </summary>
public sealed class DurableEventsTests : IAsyncLifetime
{
    private static readonly TimeSpan PropagationLimit = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];

    [Fact]
    public async Task A_push_committed_before_a_kill_reaches_the_index_after_the_restart_once()
    {
        // Delivery held: the push is committed with its event, and the server dies before the index hears of it.
        var first = Own(await Site.StartAsync(["--Berth:EventDeliveryDelaySeconds", "3600"]));
        var alice = await first.CreateUserAsync("alice");
        var repo = $"{alice.Name}/app";
        var image = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(alice.Registry, repo, image, "v1");
        var held = await alice.GetJsonAsync($"api/v1/repositories/{repo}");
        Assert.Empty(Tags(held)); // the index has not applied it: the kill below comes between commit and index update
        await first.Server.KillAsync();

        // The same data directory, delivery no longer held.
        var second = Own(await Site.StartAsync(["--data-dir", first.Server.DataDir]));
        var again = second.As(alice.Name!, alice.Secret!);
        var record = await WaitForRecordAsync(again, repo, r => Tags(r).Count > 0);
        var tag = Assert.Single(Tags(record));
        Assert.Equal("v1", tag.Key);
        Assert.Equal(image.Manifest.Digest, (string?)tag.Value["digest"]);
        Assert.Equal(image.AllContent.Sum(b => b.Size), (long)tag.Value["size"]!);
        Assert.NotNull(record["lastPushedAt"]);

        // Exactly once, also across a second kill: a later event (a marker, delivered in feed order) finds v1 untouched.
        await second.Server.KillAsync();
        await second.Server.RestartAsync();
        var marker = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(again.Registry, repo, marker, "marker");
        record = await WaitForRecordAsync(again, repo, r => Tags(r).ContainsKey("marker"));
        Assert.Equal(["marker", "v1"], Tags(record).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(image.Manifest.Digest, (string?)Tags(record)["v1"]["digest"]);
    }

    [Fact]
    public async Task A_separate_index_that_was_down_catches_up_without_duplicates_also_after_the_registry_was_killed()
    {
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var index = Own(await Site.StartAsync(["--role", "index", "--notify-secret", secret], defaultAuth: true, readyPath: ".well-known/jwks.json"));
        var registry = Own(await RegistryServer.StartAsync(extraArgs:
        [
            "--role", "registry", "--auth", "none",
            "--index-url", $"http://{index.HostPort}",
            "--notify-secret", secret,
            // The index is down for a while: without a low cap the registry's backoff, not the catch-up, is what the test waits for.
            "--Berth:EventRetryMaxSeconds", "2",
        ]));
        using var http = new HttpClient { BaseAddress = registry.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var repo = $"durable{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}/app";
        var factory = new ImageFactory();
        var images = Enumerable.Range(1, 4).Select(_ => factory.CreateImage(layers: 1)).ToList();
        await V2.PushImageAsync(http, repo, images[0], "v1");
        await WaitForRecordAsync(index.Admin, repo, r => Tags(r).ContainsKey("v1"));

        // The index goes down; pushes keep succeeding. Then the registry is killed too: what it owes the index must
        // be on disk, not in its memory.
        await index.Server.KillAsync();
        await V2.PushImageAsync(http, repo, images[1], "v2");
        await V2.PushImageAsync(http, repo, images[2], "v3");
        await registry.KillAsync();
        await registry.RestartAsync();
        for (var i = 0; i < 3; i++)
        {
            var (status, _) = await V2.GetAsync(http, $"v2/{repo}/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        await index.Server.RestartAsync();
        var record = await WaitForRecordAsync(index.Admin, repo, r => Tags(r).Count == 3 && (long)r["pullCount"]! >= 3);
        Assert.Equal(["v1", "v2", "v3"], Tags(record).Keys.Order(StringComparer.Ordinal));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(images[i].Manifest.Digest, (string?)Tags(record)[$"v{i + 1}"]["digest"]);
        }

        // No duplicates: by the time a later event (feed order) is applied, every earlier one was, once.
        await V2.PushImageAsync(http, repo, images[3], "v4");
        record = await WaitForRecordAsync(index.Admin, repo, r => Tags(r).ContainsKey("v4"));
        Assert.Equal(3, (long)record["pullCount"]!);
        Assert.Equal(["v1", "v2", "v3", "v4"], Tags(record).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Eight_clients_pushing_tags_to_one_repository_at_once_leave_the_index_equal_to_the_registry()
    {
        var site = Own(await Site.StartAsync(["--auth", "none"]));
        var repo = $"durable{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}/shared";
        const int clients = 8;
        const int tagsEach = 3;
        var factory = new ImageFactory();
        var images = Enumerable.Range(0, clients * tagsEach).Select(_ => factory.CreateImage(layers: 1, filesPerLayer: 1, maxFileBytes: 512)).ToList();
        using var start = new SemaphoreSlim(0, clients);
        var pushes = Enumerable.Range(0, clients).Select(async c =>
        {
            using var http = site.NewClient();
            await start.WaitAsync();
            for (var t = 0; t < tagsEach; t++)
            {
                await V2.PushImageAsync(http, repo, images[(c * tagsEach) + t], $"c{c}-t{t}");
            }

            var (status, _) = await V2.GetAsync(http, $"v2/{repo}/manifests/c{c}-t0");
            Assert.Equal(HttpStatusCode.OK, status);
        }).ToList();
        start.Release(clients);
        await Task.WhenAll(pushes);

        var (listed, body) = await V2.GetAsync(site.Http, $"v2/{repo}/tags/list");
        Assert.Equal(HttpStatusCode.OK, listed);
        var registryTags = JsonNode.Parse(body)!["tags"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(clients * tagsEach, registryTags.Count);

        // Pulls reach the outbox within a second of happening: wait for all of them, then push a marker. When the index
        // has the marker it has applied every earlier event, so nothing counted twice can still be on its way.
        await WaitForRecordAsync(site.Admin, repo, r => (long)r["pullCount"]! >= clients);
        await V2.PushImageAsync(site.Http, repo, factory.CreateImage(layers: 1), "marker");
        var record = await WaitForRecordAsync(site.Admin, repo, r => Tags(r).ContainsKey("marker"));
        var indexTags = Tags(record);
        Assert.Equal([.. registryTags, "marker"], indexTags.Keys.Order(StringComparer.Ordinal));
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(images[i].Manifest.Digest, (string?)indexTags[$"c{i / tagsEach}-t{i % tagsEach}"]["digest"]);
        }

        Assert.Equal(clients, (long)record["pullCount"]!);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Polls the index's record of <paramref name="repo"/> until <paramref name="done"/> holds (bounded).</summary>
    private static async Task<JsonNode> WaitForRecordAsync(Actor actor, string repo, Func<JsonNode, bool> done)
    {
        var clock = Stopwatch.StartNew();
        var last = "(no answer)";
        while (clock.Elapsed < PropagationLimit)
        {
            using var response = await actor.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}");
            var text = await response.Content.ReadAsStringAsync();
            last = $"{(int)response.StatusCode} {text}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var record = JsonNode.Parse(text)!;
                if (done(record))
                {
                    return record;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the index record of {repo} did not follow within {PropagationLimit.TotalSeconds} s; last: {last}");
        return null!;
    }

    private static Dictionary<string, JsonNode> Tags(JsonNode record) =>
        (record["tags"]?.AsArray() ?? []).ToDictionary(t => (string)t!["name"]!, t => t!);
}
