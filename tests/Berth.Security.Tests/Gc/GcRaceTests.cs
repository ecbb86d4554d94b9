using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests.Gc;

/// <summary>
/// Issue 15's race stress test: pushes that re-reference blobs (upload, cross-repository mount, a manifest PUT naming
/// a blob the repository already links) and deletions run while garbage-collection passes with no grace period run
/// back to back. Nothing a live image references may go (every image pulls, byte for byte, until its delete), and once
/// everything is deleted a final pass leaves no blob bytes. Its own server: it counts every blob stored.
/// </summary>
public sealed class GcRaceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Pushers = 3;
    private const int Rounds = 20;
    private const int Pool = 6;
    private const int Attempts = 20;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(12);

    private GcRegistry _registry = null!;
    private int _restarts;

    public async Task InitializeAsync() =>
        _registry = new GcRegistry(await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-interval", "off"]));

    public async Task DisposeAsync() => await _registry.Site.DisposeAsync();

    [Fact]
    public async Task Pushes_mounts_and_deletes_racing_collection_lose_nothing_referenced_and_leave_nothing_behind()
    {
        // Configs and layers the images are made of, all named by an anchor image kept until the end: never garbage, so
        // a pass with no grace cannot take them between a push's upload and its manifest PUT (no push would get through).
        var configs = Enumerable.Range(0, Pool).Select(i => GcRegistry.RandomBlob(100 + i)).ToArray();
        var layers = Enumerable.Range(0, Pool).Select(_ => GcRegistry.RandomBlob(2_000)).ToArray();
        var anchor = await _registry.PushAsync("race/anchor", "v1", GcRegistry.RandomBlob(99), [.. configs, .. layers]);

        // Layers each image takes one of, named by no kept image: deleted right after its pull, an image leaves its
        // flipping layer garbage again and again while the other pushers upload, mount and name it.
        byte[][] flipping = [GcRegistry.RandomBlob(4_000), GcRegistry.RandomBlob(6_000), GcRegistry.RandomBlob(8_000)];

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var everything = new ConcurrentBag<PushedImage> { anchor };
        var failures = new ConcurrentBag<string>();
        var passes = 0;
        var collector = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && clock.Elapsed < TimeLimit)
            {
                // Nearly back to back: the more passes overlap the pushes' requests, the likelier a lost race shows. A
                // short random pause between them leaves a push a chance to get its manifest in: with no grace, passes
                // that never pause take the flipping layer between every upload and its PUT on a fast machine (on
                // PostgreSQL here a push lost ten times in a row in 3 runs of 3).
                await _registry.RunGcAsync(grace: "0s");
                passes++;
                await Task.Delay(Random.Shared.Next(0, 25));
            }
        });

        var pushers = Enumerable.Range(0, Pushers).Select(p => Task.Run(async () =>
        {
            for (var round = 0; round < Rounds && clock.Elapsed < TimeLimit; round++)
            {
                var image = await PushRacingAsync(
                    $"race/p{p}-r{round}",
                    round,
                    configs[(p + round) % Pool],
                    [layers[(p + (2 * round)) % Pool], layers[(p + round + 3) % Pool], flipping[(p + round) % flipping.Length]],
                    everything);
                everything.Add(image);

                // Referenced from its manifest PUT until its delete, with passes running all along: it must pull whole.
                if (await _registry.PullFailureAsync(image) is { } failure)
                {
                    failures.Add(failure);
                }

                await _registry.DeleteManifestAsync(image.Repository, image.ManifestDigest);
            }
        })).ToList();

        await Task.WhenAll(pushers);
        await stop.CancelAsync();
        await collector;
        output.WriteLine($"{everything.Count} images pushed in {clock.Elapsed.TotalSeconds:0.0} s, {passes} passes, {_restarts} pushes started over");
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        Assert.True(passes >= 2 && everything.Count > Pushers, $"{passes} passes, {everything.Count} images: too few to race");

        await _registry.RunGcAsync();
        Assert.Null(await _registry.PullFailureAsync(anchor));
        await _registry.DeleteManifestAsync(anchor.Repository, anchor.ManifestDigest);
        await _registry.RunGcAsync();
        Assert.Equal((0, 0L), await _registry.StoredBlobsAsync());
    }

    /// <summary>
    /// Pushes an image, getting each layer one of three ways (turn by turn): uploaded, mounted from an earlier image's
    /// repository (which may be deleted by now), or, if a mount found nothing but the repository links it already, only
    /// named by the manifest. The flipping layer, last, may be taken by a pass before the PUT names it (there is no
    /// grace): the push then starts over, as a client's would.
    /// </summary>
    private async Task<PushedImage> PushRacingAsync(string repository, int round, byte[] config, byte[][] imageLayers, ConcurrentBag<PushedImage> earlier)
    {
        var manifest = GcRegistry.ManifestOf(config, imageLayers);
        var refused = "";
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            foreach (var (blob, i) in imageLayers.Prepend(config).Select((b, i) => (b, i)))
            {
                var digest = GcRegistry.DigestOf(blob);
                // The flipping layer is uploaded first time round: an upload finding its bytes already stored, just as a
                // pass decides they are garbage, is the race most likely to lose a blob.
                if ((round + i + attempt) % 3 == 0 || (i == imageLayers.Length && attempt == 0))
                {
                    Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, blob));
                    continue;
                }

                var from = earlier.FirstOrDefault(e => e.Repository != repository && e.Blobs.ContainsKey(digest))?.Repository ?? "race/anchor";
                if (await _registry.MountAsync(repository, from, digest) != HttpStatusCode.Created && !await _registry.BlobLinkedAsync(repository, digest))
                {
                    Assert.Equal(HttpStatusCode.Created, await _registry.UploadAsync(repository, blob));
                }
            }

            using var put = await _registry.PutManifestAsync(repository, "v1", manifest);
            if (put.StatusCode == HttpStatusCode.Created)
            {
                return GcRegistry.Pushed(repository, "v1", manifest, config, imageLayers);
            }

            Interlocked.Increment(ref _restarts);
            refused = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest && refused.Contains("MANIFEST_BLOB_UNKNOWN", StringComparison.Ordinal), $"manifest PUT: {(int)put.StatusCode} {refused}");
        }

        Assert.Fail($"{repository}: the collector took its blobs {Attempts} times over; last: {refused}");
        return null!;
    }
}
