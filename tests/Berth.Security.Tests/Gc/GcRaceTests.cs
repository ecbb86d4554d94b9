using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests.Gc;

/// <summary>
/// Issue 15's race stress test: pushes that re-reference blobs (upload, cross-repository mount, a manifest PUT naming
/// a blob the repository already links) and deletions run while garbage-collection passes with no grace period run
/// back to back. Nothing a kept image references may go (every such image pulls, byte for byte), and once everything
/// is deleted a final pass leaves no blob bytes. Its own server: it counts every blob stored.
/// </summary>
public sealed class GcRaceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Pushers = 3;
    private const int Rounds = 20;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(15);

    private GcRegistry _registry = null!;
    private readonly SemaphoreSlim _attempts = new(0);
    private int _restarts;

    public async Task InitializeAsync() =>
        _registry = new GcRegistry(await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-interval", "off"]));

    public async Task DisposeAsync()
    {
        _attempts.Dispose();
        await _registry.Site.DisposeAsync();
    }

    [Fact]
    public async Task Pushes_mounts_and_deletes_racing_collection_lose_nothing_referenced_and_leave_nothing_behind()
    {
        // A layer every image shares, first pushed by a seed image that is deleted during the run.
        byte[][] shared = [GcRegistry.RandomBlob(3_000)];
        var seed = await _registry.PushAsync("race/seed", "v1", GcRegistry.RandomBlob(100), shared);

        // Layers each image takes one of: as images are deleted right after their pull these are garbage again and again,
        // while other pushes upload, mount and name them.
        byte[][] flipping = [GcRegistry.RandomBlob(4_000), GcRegistry.RandomBlob(6_000), GcRegistry.RandomBlob(8_000)];

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var kept = new ConcurrentBag<PushedImage>();
        var everything = new ConcurrentBag<PushedImage> { seed };
        var passes = 0;
        var collector = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && clock.Elapsed < TimeLimit)
            {
                // Mostly with a grace of a second: with none, passes back to back take every blob between its upload and
                // its manifest PUT (a second apart on PostgreSQL + s3rver under load), and no push gets through. Blobs of
                // deleted images are garbage a second later, while the others re-upload, mount and name them.
                await _registry.RunGcAsync(grace: passes % 4 == 3 ? "0s" : "1s");
                passes++;
                await _attempts.WaitAsync(TimeSpan.FromSeconds(1));
            }
        });

        var failures = new ConcurrentBag<string>();
        var pushers = Enumerable.Range(0, Pushers).Select(p => Task.Run(async () =>
        {
            PushedImage? last = null;
            for (var round = 0; round < Rounds && clock.Elapsed < TimeLimit; round++)
            {
                var image = await PushRacingAsync($"race/p{p}-r{round}", p, round, [.. shared, flipping[(p + round) % flipping.Length]], everything);
                everything.Add(image);

                // Referenced from its manifest PUT until its delete, with passes running all along: it must pull whole.
                // Deleted, its flipping layer is garbage again while the other pushers upload, mount and name it.
                if (await _registry.PullFailureAsync(image) is { } failure)
                {
                    failures.Add(failure);
                }

                if (round == Rounds - 1 || clock.Elapsed >= TimeLimit)
                {
                    last = image;
                }
                else
                {
                    await _registry.DeleteManifestAsync(image.Repository, image.ManifestDigest);
                }

                if (round == 1 && p == 0)
                {
                    await _registry.DeleteManifestAsync(seed.Repository, seed.ManifestDigest);
                }
            }

            if (last is not null)
            {
                kept.Add(last);
            }
        })).ToList();

        await Task.WhenAll(pushers);
        await stop.CancelAsync();
        await collector;
        Assert.True(passes >= 2, $"only {passes} passes ran during the pushes");
        output.WriteLine($"{everything.Count} images pushed in {clock.Elapsed.TotalSeconds:0.0} s, {passes} passes, {_restarts} pushes started over");

        await _registry.RunGcAsync();
        foreach (var image in kept)
        {
            if (await _registry.PullFailureAsync(image) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        foreach (var image in everything)
        {
            await _registry.DeleteManifestAsync(image.Repository, image.ManifestDigest);
        }

        await _registry.RunGcAsync();
        Assert.Equal((0, 0L), await _registry.StoredBlobsAsync());
    }

    /// <summary>
    /// Pushes an image of the shared layers plus one of its own, getting each shared layer one of three ways: uploaded,
    /// mounted from an earlier image's repository, or (already linked there by a mount) only named by the manifest.
    /// A pass may take a blob linked but not yet named (there is no grace): the push then starts over, as a client's would.
    /// </summary>
    private async Task<PushedImage> PushRacingAsync(string repository, int pusher, int round, byte[][] shared, ConcurrentBag<PushedImage> earlier)
    {
        var config = GcRegistry.RandomBlob(100 + pusher);
        var own = GcRegistry.RandomBlob(2_000);
        var manifest = GcRegistry.ManifestOf(config, [.. shared, own]);
        var refused = "";
        for (var attempt = 0; attempt < 10; attempt++)
        {
            foreach (var (layer, i) in shared.Select((l, i) => (l, i)))
            {
                var digest = GcRegistry.DigestOf(layer);
                switch ((round + i + attempt) % 3)
                {
                    case 0:
                        Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, layer));
                        break;
                    default:
                        var from = earlier.FirstOrDefault(e => e.Repository != repository)?.Repository ?? "race/seed";
                        if (await _registry.MountAsync(repository, from, digest) != HttpStatusCode.Created
                            && !await _registry.BlobLinkedAsync(repository, digest))
                        {
                            Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, layer));
                        }

                        break;
                }
            }

            Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, config));
            Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, own));
            using var put = await _registry.PutManifestAsync(repository, "v1", manifest);
            _attempts.Release();
            if (put.StatusCode == HttpStatusCode.Created)
            {
                return GcRegistry.Pushed(repository, "v1", manifest, config, [.. shared, own]);
            }

            Interlocked.Increment(ref _restarts);
            var body = refused = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest && body.Contains("MANIFEST_BLOB_UNKNOWN", StringComparison.Ordinal), $"manifest PUT: {(int)put.StatusCode} {body}");
        }

        Assert.Fail($"{repository}: the collector took its blobs ten times over; last: {refused}");
        return null!;
    }
}
