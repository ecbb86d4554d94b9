using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Gc;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests.TagPolicies;

/// <summary>
/// Issue 15, point 5: a garbage-collection pass first untags what the retention policies do not keep (the last N
/// matching tags by push time, those pushed within D days), never an immutable tag; the manifests left untagged are then
/// collected with their unique blobs. A dry run changes nothing and lists exactly what the run after it removes.
/// </summary>
public sealed class RetentionTests(TagPolicySite fixture) : IClassFixture<TagPolicySite>
{
    private GcRegistry Registry => fixture.Registry;

    private Site Site => fixture.Site;

    [Fact]
    public async Task A_pass_untags_exactly_what_no_policy_keeps_and_collects_it_and_a_dry_run_lists_the_same()
    {
        var repository = TagPolicySite.Unique("ret/app");
        var other = TagPolicySite.Unique("ret/other");
        var shared = GcRegistry.RandomBlob(5_000);
        var images = new Dictionary<string, PushedImage>(StringComparer.Ordinal);

        // Pushed oldest first: build-0 (made immutable below), build-1 … build-5, then nightlies and tags no policy matches.
        foreach (var tag in new[] { "build-0", "build-1", "build-2", "build-3", "build-4", "build-5", "nightly-a", "nightly-b", "nightly-c", "latest" })
        {
            images[tag] = await Registry.PushAsync(repository, tag, GcRegistry.RandomBlob(200), shared, GcRegistry.RandomBlob(3_000));
            await Task.Delay(5); // distinct push times whatever the clock's resolution
        }

        var untouched = await Registry.PushAsync(other, "build-1", GcRegistry.RandomBlob(200), shared, GcRegistry.RandomBlob(3_000));

        // nightly-a and nightly-b were pushed ten days ago.
        var tenDaysAgo = DateTime.UtcNow.AddDays(-10);
        var moved = await ServerDatabase.ExecuteAsync(
            Site.Server,
            """UPDATE "tags" SET "UpdatedAt" = @p0 WHERE "Name" IN ('nightly-a', 'nightly-b') AND "RepositoryId" = (SELECT "Id" FROM "repositories" WHERE "Name" = @p1)""",
            tenDaysAgo,
            repository);
        Assert.Equal(2, moved);

        var scope = $"api/v1/repositories/{repository}/-/";
        await fixture.CreateAsync(scope + "retention-policies", new JsonObject { ["pattern"] = "build-*", ["keepLast"] = 2 });
        await fixture.CreateAsync(scope + "retention-policies", new JsonObject { ["pattern"] = "nightly-*", ["keepDays"] = 7 });
        await fixture.CreateAsync(scope + "tag-rules", new JsonObject { ["pattern"] = "build-0" });
        string[] doomed = ["build-1", "build-2", "build-3", "nightly-a", "nightly-b"];
        var kept = images.Keys.Except(doomed).Order(StringComparer.Ordinal).ToList();
        var before = await fixture.TagsAsync(repository);
        var stored = await Registry.StoredBlobsAsync();

        var dry = await Registry.RunGcAsync(dryRun: true);
        Assert.Equal(doomed.Select(t => (repository, t, images[t].ManifestDigest)), Untagged(dry));
        Assert.Equal(doomed.Length, (int)dry["tagsUntagged"]!);
        var command = await Registry.RunGcCommandAsync("--dry-run", "--grace", "0s");
        Assert.True(command.Succeeded, command.Stderr);
        foreach (var tag in doomed)
        {
            Assert.Contains($"berth-server gc: would untag {repository}:{tag} {images[tag].ManifestDigest}", command.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(before, await fixture.TagsAsync(repository));
        Assert.Equal(stored, await Registry.StoredBlobsAsync());

        var run = await Registry.RunGcAsync();
        Assert.Equal(Untagged(dry), Untagged(run));
        Assert.Equal(kept, await fixture.TagsAsync(repository));
        Assert.Equal(["build-1"], await fixture.TagsAsync(other));

        // Each untag was a tag delete's event, as a client's: the index (which hears what webhooks hear) drops the tags.
        await Eventually.JsonAsync(Site.Admin, $"api/v1/repositories/{repository}/-/tags?n=100", tags =>
            tags.AsArray().Select(t => (string)t!["name"]!).Order(StringComparer.Ordinal).SequenceEqual(kept));

        // Untagged, the manifests were collected in the same pass (untagged-after 0s), and with them their own blobs.
        Assert.True((int)run["manifestsDeleted"]! >= doomed.Length, run.ToJsonString());
        foreach (var tag in doomed)
        {
            using var manifest = await Site.Http.GetAsync($"v2/{repository}/manifests/{images[tag].ManifestDigest}");
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
            foreach (var blob in images[tag].Blobs.Keys.Where(d => d != GcRegistry.DigestOf(shared)))
            {
                Assert.Null(await Registry.StoredSizeAsync(blob));
            }
        }

        Assert.Equal(stored.Count - (2 * doomed.Length), (await Registry.StoredBlobsAsync()).Count);
        foreach (var tag in kept)
        {
            Assert.Null(await Registry.PullFailureAsync(images[tag]));
        }

        Assert.Null(await Registry.PullFailureAsync(untouched));

        // Nothing more to do: the next pass untags nothing.
        Assert.Empty(Untagged(await Registry.RunGcAsync()));
        var status = await Site.Admin.GetJsonAsync("api/v1/gc");
        Assert.Contains(status["runs"]!.AsArray(), r => (int)r!["tagsUntagged"]! == doomed.Length && !(bool)r["dryRun"]!);
    }

    [Fact]
    public async Task A_tag_pushed_again_after_the_dry_run_is_kept_by_the_run()
    {
        var repository = TagPolicySite.Unique("ret/again");
        var old = await Registry.PushAsync(repository, "ci-1", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(1_000));
        await Task.Delay(5);
        await Registry.PushAsync(repository, "ci-2", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(1_000));
        await fixture.CreateAsync($"api/v1/repositories/{repository}/-/retention-policies", new JsonObject { ["pattern"] = "ci-*", ["keepLast"] = 1 });
        Assert.Equal([(repository, "ci-1", old.ManifestDigest)], Untagged(await Registry.RunGcAsync(dryRun: true)));

        // Pushed again, ci-1 is now the most recent: the run keeps it and untags ci-2 instead.
        using (var again = await Registry.PutManifestAsync(repository, "ci-1", old.Manifest))
        {
            await Expect.StatusAsync(again, HttpStatusCode.Created);
        }

        var run = await Registry.RunGcAsync();
        Assert.Equal(["ci-2"], Untagged(run).Where(u => u.Repository == repository).Select(u => u.Tag));
        Assert.Equal(["ci-1"], await fixture.TagsAsync(repository));
        Assert.Null(await Registry.PullFailureAsync(old));
    }

    [Fact]
    public async Task A_namespace_policy_applies_to_each_of_its_repositories_on_its_own()
    {
        var org = TagPolicySite.Unique("retorg");
        using (var created = await Site.Admin.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = org }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        await fixture.CreateAsync($"api/v1/orgs/{org}/retention-policies", new JsonObject { ["pattern"] = "pr-*", ["keepLast"] = 1 });
        var pushed = new Dictionary<string, PushedImage>(StringComparer.Ordinal);
        foreach (var repository in new[] { $"{org}/one", $"{org}/two" })
        {
            foreach (var tag in new[] { "pr-1", "pr-2", "main" })
            {
                pushed[$"{repository}:{tag}"] = await Registry.PushAsync(repository, tag, GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(1_000));
                await Task.Delay(5);
            }
        }

        // keepLast counts per repository: each keeps its own most recent pr-* tag.
        var run = await Registry.RunGcAsync();
        Assert.Equal(
            [($"{org}/one", "pr-1", pushed[$"{org}/one:pr-1"].ManifestDigest), ($"{org}/two", "pr-1", pushed[$"{org}/two:pr-1"].ManifestDigest)],
            Untagged(run).Where(u => u.Repository.StartsWith(org + "/", StringComparison.Ordinal)));
        Assert.Equal(["main", "pr-2"], await fixture.TagsAsync($"{org}/one"));
        Assert.Equal(["main", "pr-2"], await fixture.TagsAsync($"{org}/two"));
    }

    private static List<(string Repository, string Tag, string Digest)> Untagged(JsonNode report) =>
        [.. report["untagged"]!.AsArray().Select(u => ((string)u!["repository"]!, (string)u["tag"]!, (string)u["digest"]!))];
}
