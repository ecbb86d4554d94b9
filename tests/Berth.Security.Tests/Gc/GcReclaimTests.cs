using System.Net;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.Gc;

/// <summary>One Berth collecting with no grace and no worker of its own: passes run when a test asks.</summary>
public sealed class GcReclaimFixture : IAsyncLifetime
{
    public GcRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Registry = new GcRegistry(await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-interval", "off"]));

    public async Task DisposeAsync() => await Registry.Site.DisposeAsync();
}

/// <summary>
/// Issue 15: nothing was ever reclaimed. What a pass deletes (blobs no manifest names any more, their bytes), what it
/// keeps (what another image shares), what a dry run reports, and what a collector that died half-way leaves.
/// </summary>
public sealed partial class GcReclaimTests(GcReclaimFixture fixture) : IClassFixture<GcReclaimFixture>
{
    private GcRegistry Registry => fixture.Registry;

    [Fact]
    public async Task Deleting_an_image_reclaims_only_the_blobs_no_other_image_shares()
    {
        var shared = GcRegistry.RandomBlob(40_000);
        var (config1, unique1) = (GcRegistry.RandomBlob(300), GcRegistry.RandomBlob(20_000));
        var (config2, unique2) = (GcRegistry.RandomBlob(301), GcRegistry.RandomBlob(30_000));
        var gone = await Registry.PushAsync("share/one", "v1", config1, shared, unique1);
        var kept = await Registry.PushAsync("share/two", "v1", config2, shared, unique2);
        await Registry.RunGcAsync(); // uploads are candidates too: both images are referenced, nothing goes
        Assert.Null(await Registry.PullFailureAsync(gone));
        var before = await Registry.StoredBlobsAsync();

        await Registry.DeleteManifestAsync("share/one", gone.ManifestDigest);
        var report = await Registry.RunGcAsync();

        var after = await Registry.StoredBlobsAsync();
        Assert.Equal(config1.Length + unique1.Length, before.Bytes - after.Bytes);
        Assert.Equal(2, before.Count - after.Count);
        Assert.True((int)report["blobsDeleted"]! >= 2 && (long)report["bytesDeleted"]! >= config1.Length + unique1.Length, report.ToJsonString());
        Assert.Null(await Registry.StoredSizeAsync(GcRegistry.DigestOf(unique1)));
        Assert.Equal(shared.Length, await Registry.StoredSizeAsync(GcRegistry.DigestOf(shared)));
        Assert.False(await Registry.BlobLinkedAsync("share/one", GcRegistry.DigestOf(unique1)));
        Assert.Null(await Registry.PullFailureAsync(kept));
    }

    [Fact]
    public async Task A_dry_run_reclaims_nothing_and_reports_what_the_run_after_it_reclaims()
    {
        await Registry.RunGcAsync(); // what earlier tests left is not this test's count
        var image = await Registry.PushAsync("dry/app", "v1", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(10_000));
        byte[][] strays = [GcRegistry.RandomBlob(5_000), GcRegistry.RandomBlob(7_000), GcRegistry.RandomBlob(9_000)];
        foreach (var stray in strays)
        {
            Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync("dry/app", stray)); // no manifest will name them
        }

        var stored = await Registry.StoredBlobsAsync();
        var dry = await Registry.RunGcCommandAsync("--dry-run", "--grace", "0s");
        Assert.True(dry.Succeeded, dry.Stderr);
        Assert.Equal(stored, await Registry.StoredBlobsAsync());
        foreach (var stray in strays)
        {
            Assert.True(await Registry.BlobLinkedAsync("dry/app", GcRegistry.DigestOf(stray)));
        }

        var run = await Registry.RunGcAsync();
        var (wouldBlobs, wouldBytes) = Counts(dry.Stdout, "would reclaim");
        var (blobs, bytes) = ((int)run["blobsDeleted"]!, (long)run["bytesDeleted"]!);
        Assert.Equal((strays.Length, strays.Sum(s => (long)s.Length)), (blobs, bytes));
        Assert.Equal((blobs, bytes), (wouldBlobs, wouldBytes));
        Assert.Equal((stored.Count - strays.Length, stored.Bytes - bytes), await Registry.StoredBlobsAsync());
        Assert.Null(await Registry.PullFailureAsync(image));

        var status = await Registry.Site.Admin.GetJsonAsync("api/v1/gc");
        Assert.Equal("0s", (string?)status["grace"]);
        Assert.Contains(status["runs"]!.AsArray(), r => (string?)r!["trigger"] == "command" && (bool)r["dryRun"]! && (int)r["blobsDeleted"]! == strays.Length);
    }

    [Fact]
    public async Task A_collector_that_died_between_row_and_object_deletion_leaves_nothing_referenced_missing()
    {
        var image = await Registry.PushAsync("crash/app", "v1", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(12_000));
        var orphan = GcRegistry.RandomBlob(6_000);
        var repushed = GcRegistry.RandomBlob(8_000);
        Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync("crash/app", orphan));
        Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync("crash/app", repushed));

        // What a collector killed after its transaction committed leaves: rows gone, candidates marked, objects still there.
        foreach (var blob in new[] { orphan, repushed })
        {
            await GcStates.LeaveHalfDeletedAsync(Registry.Site.Server, GcRegistry.DigestOf(blob), blob.Length);
        }

        Assert.False(await Registry.BlobLinkedAsync("crash/app", GcRegistry.DigestOf(repushed)));
        Assert.NotNull(await Registry.StoredSizeAsync(GcRegistry.DigestOf(orphan)));

        // A push of one of them meanwhile waits for the deletion rather than linking bytes about to go; the next pass
        // finishes the deletions first, then the push publishes its own bytes.
        var push = Registry.UploadAsync("crash/again", repushed);
        await Task.Delay(200); // the push is waiting by now (if it is not, the pass below still must not lose it)
        // An hour's grace: the pass finishes the marked deletions whatever the grace, and must not then review the blob the
        // push links meanwhile (a blob no manifest names is garbage once its grace has passed; with none, at once).
        var report = await Registry.RunGcAsync(grace: "1h");
        Assert.Equal(HttpStatusCode.Created, await push);

        Assert.True((int)report["blobsDeleted"]! >= 2, report.ToJsonString());
        Assert.Null(await Registry.StoredSizeAsync(GcRegistry.DigestOf(orphan)));
        Assert.Equal(repushed.Length, await Registry.StoredSizeAsync(GcRegistry.DigestOf(repushed)));
        using (var download = await Registry.Site.Http.GetAsync($"v2/crash/again/blobs/{GcRegistry.DigestOf(repushed)}"))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(GcRegistry.DigestOf(repushed), GcRegistry.DigestOf(await download.Content.ReadAsByteArrayAsync()));
        }

        Assert.Null(await Registry.PullFailureAsync(image));
        Assert.Equal(0L, Convert.ToInt64(await ServerDatabase.ScalarAsync(Registry.Site.Server, """SELECT COUNT(*) FROM "gc_blob_candidates" WHERE "DeletingSince" IS NOT NULL""")));
    }

    [Fact]
    public async Task Only_site_administrators_see_or_run_the_collector_and_the_api_is_documented()
    {
        var user = await Registry.Site.CreateUserAsync("gcuser");
        using (var status = await user.SendAsync(HttpMethod.Get, "api/v1/gc"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        }

        using (var run = await user.SendAsync(HttpMethod.Post, "api/v1/gc"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, run.StatusCode);
        }

        using (var anonymous = await Registry.Site.Http.PostAsync("api/v1/gc", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var bad = await Registry.Site.Admin.SendAsync(HttpMethod.Post, "api/v1/gc?grace=soon"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var document = await Registry.Site.Http.GetStringAsync("api/v1/openapi.json");
        Assert.Contains("\"/api/v1/gc\"", document, StringComparison.Ordinal);
    }

    private static (int Blobs, long Bytes) Counts(string stdout, string verb)
    {
        var match = CountsLine().Match(stdout);
        Assert.True(match.Success && match.Groups["verb"].Value == verb, $"unexpected output: {stdout}");
        return (int.Parse(match.Groups["blobs"].Value, System.Globalization.CultureInfo.InvariantCulture), long.Parse(match.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("berth-server gc: (?<verb>would reclaim|reclaimed) blobs=(?<blobs>\\d+) bytes=(?<bytes>\\d+) manifests=\\d+ reviewed=\\d+")]
    private static partial Regex CountsLine();
}
