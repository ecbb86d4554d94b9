using System.Net;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 12, point 6: registry notifications in CNCF Distribution's envelope to endpoints from configuration, so a
/// consumer written for Distribution's <c>notifications.endpoints</c> works unchanged with Berth (here: a Kestrel
/// receiver reading the envelope with a model of Distribution's <c>event.go</c>), delivered from the outbox as durably
/// as the index's records: nothing lost while the endpoint is down, nor when Berth is killed meanwhile.
/// </summary>
public sealed class RegistryNotificationTests
{
    private const string EventsMediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <summary>Bounded: the servers that meet a down endpoint back off at most <see cref="RetryCap"/> seconds between attempts.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(45);

    private const string RetryCap = "2";

    [Fact]
    public async Task A_standalone_registry_sends_pushes_and_deletes_in_Distributions_envelope_with_the_configured_headers_and_filters()
    {
        await using var receiver = await NotificationReceiver.CreateAsync();
        const string endpoints = "--Berth:Notifications:Endpoints";
        await using var server = await RegistryServer.StartAsync(extraArgs:
        [
            "--role", "registry",
            $"{endpoints}:0:Name", "all", $"{endpoints}:0:Url", receiver.Url("all"),
            $"{endpoints}:0:Headers:Authorization", "Bearer s3cret",
            $"{endpoints}:1:Name", "filtered", $"{endpoints}:1:Url", receiver.Url("filtered"),
            $"{endpoints}:1:IgnoredActions:0", "delete", $"{endpoints}:1:IgnoredMediaTypes:0", MediaTypes.DockerManifest,
            "--notify-endpoint", $"cli={receiver.Url("cli")}",

            // Bounded as in the test below: a delivery that timed out under a loaded machine is retried within seconds,
            // not after the minute the default backoff reaches.
            "--Berth:EventRetryMaxSeconds", RetryCap,
        ]);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        const string repo = "notify/app";
        var factory = new ImageFactory();
        var oci = factory.CreateImage(layers: 1);
        var docker = factory.CreateImage(layers: 1, format: ManifestFormat.Docker);
        var marker = factory.CreateImage(layers: 1);
        await V2.PushImageAsync(http, repo, oci, "v1");
        await V2.PushImageAsync(http, repo, docker, "d1");
        await DeleteAsync(http, $"v2/{repo}/manifests/v1");
        await DeleteAsync(http, $"v2/{repo}/manifests/{docker.Manifest.Digest}");
        await V2.PushImageAsync(http, repo, marker, "marker");

        // Feed order: once the marker is there, everything before it was sent (or filtered out).
        var all = await receiver.WaitForAsync("all", e => e.Any(x => x.Target?.Tag == "marker"), Limit, server);
        Assert.Equal(
            ["push v1 " + oci.Manifest.Digest, "push d1 " + docker.Manifest.Digest, "delete v1 ", "delete  " + docker.Manifest.Digest, "push marker " + marker.Manifest.Digest],
            all.Select(e => $"{e.Action} {e.Target!.Tag} {e.Target.Digest}"));
        Assert.All(receiver.Received.Where(r => r.Path == "/all"), r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal(EventsMediaType, r.ContentType);
            Assert.Equal("Bearer s3cret", r.Authorization);
        });

        // A push names the manifest as Distribution's bridge does: media type, digest, size = length, its URL by digest.
        var push = all[0];
        Assert.Equal(repo, push.Target!.Repository);
        Assert.Equal(MediaTypes.OciManifest, push.Target.MediaType);
        Assert.Equal(oci.Manifest.Size, push.Target.Size);
        Assert.Equal(oci.Manifest.Size, push.Target.Length);
        Assert.Equal($"http://{server.HostPort}/v2/{repo}/manifests/{oci.Manifest.Digest}", push.Target.Url);
        Assert.Equal("PUT", push.Request!.Method);
        Assert.Equal(server.HostPort, push.Request.Host);
        Assert.Equal(server.HostPort, push.Source!.Addr);
        Assert.False(string.IsNullOrEmpty(push.Source.InstanceId));
        Assert.InRange(push.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(MediaTypes.DockerManifest, all[1].Target!.MediaType);

        // Deletes as Distribution sends them: a tag's names repository and tag, a manifest's repository and digest.
        Assert.Equal((repo, (string?)null, (string?)null), (all[2].Target!.Repository, all[2].Target!.MediaType, all[2].Target!.Url));
        Assert.Equal("DELETE", all[3].Request!.Method);
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());

        // The same events, with their ids, to the endpoint given on the command line, without the other's header.
        var cli = await receiver.WaitForAsync("cli", e => e.Any(x => x.Target?.Tag == "marker"), Limit, server);
        Assert.Equal(all.Select(e => e.Id), cli.Select(e => e.Id));
        Assert.All(receiver.Received.Where(r => r.Path == "/cli"), r => Assert.Equal("", r.Authorization));

        // Ignored actions and media types are not sent: no delete, no Docker manifest.
        var filtered = await receiver.WaitForAsync("filtered", e => e.Any(x => x.Target?.Tag == "marker"), Limit, server);
        Assert.Equal([all[0].Id, all[4].Id], filtered.Select(e => e.Id));
    }

    [Fact]
    public async Task Pushes_made_while_the_endpoint_is_down_arrive_once_each_in_order_after_Berth_was_killed_and_a_new_endpoint_starts_at_the_end()
    {
        // All-in-one (index and registry in one process), the endpoint down from the start.
        await using var receiver = await NotificationReceiver.CreateAsync(start: false);
        await using var server = await RegistryServer.StartAsync(extraArgs: ["--notify-endpoint", $"hook={receiver.Url("hook")}", "--Berth:EventRetryMaxSeconds", RetryCap]);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        const string repo = "durable/notified";
        var factory = new ImageFactory();
        var images = Enumerable.Range(0, 4).Select(_ => factory.CreateImage(layers: 1)).ToList();
        for (var i = 0; i < 3; i++)
        {
            await V2.PushImageAsync(http, repo, images[i], $"t{i + 1}");
        }

        // Delivery was tried and failed (the port is closed), then the process dies: what it owes is in the database.
        // It comes back on the same data with a second endpoint, which starts where the outbox is then, as
        // Distribution's would: it is not sent t1…t3, still kept for the first endpoint.
        await WaitForLogAsync(server, "Delivering events to notify:hook");
        await server.KillAsync();
        await using var again = await RegistryServer.StartAsync(extraArgs:
        [
            "--data-dir", server.DataDir,
            "--notify-endpoint", $"hook={receiver.Url("hook")}",
            "--notify-endpoint", $"late={receiver.Url("late")}",
            "--Berth:EventRetryMaxSeconds", RetryCap,
        ]);
        await receiver.StartAsync();

        var events = await receiver.WaitForAsync("hook", e => e.Count(x => x.Action == "push") >= 3, Limit, again);
        Assert.Equal(["t1", "t2", "t3"], events.Select(e => e.Target!.Tag));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(images[i].Manifest.Digest, events[i].Target!.Digest);
        }

        // Nothing was accepted before the kill, so nothing is owed twice: each event once, by id, also after a later one.
        using var http2 = new HttpClient { BaseAddress = again.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        await V2.PushImageAsync(http2, repo, images[3], "t4");
        events = await receiver.WaitForAsync("hook", e => e.Any(x => x.Target?.Tag == "t4"), Limit, again);
        Assert.Equal(["t1", "t2", "t3", "t4"], events.Select(e => e.Target!.Tag));
        Assert.Equal(4, events.Select(e => e.Id).Distinct().Count());
        var late = await receiver.WaitForAsync("late", e => e.Any(x => x.Target?.Tag == "t4"), Limit, again);
        Assert.Equal([events[3].Id], late.Select(e => e.Id));
    }

    private static async Task DeleteAsync(HttpClient http, string path)
    {
        using var response = await V2.SendAsync(http, HttpMethod.Delete, path, token: null);
        await Expect.StatusAsync(response, HttpStatusCode.Accepted);
    }

    private static async Task WaitForLogAsync(RegistryServer server, string text)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!server.ReadLog().Contains(text, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < Limit, $"the server did not log '{text}' within {Limit.TotalSeconds} s:\n{server.ReadLog()}");
            await Task.Delay(50);
        }
    }
}
