using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Gc;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests.Quotas;

/// <summary>
/// Issue 15, point 3: a namespace's quota refuses the push that would exceed it, with <c>DENIED</c> and the figures,
/// counts nothing of what it refused, and its usage (each distinct blob its repositories link, once) equals a recount
/// from the links after whatever pushes, deletions and collections.
/// </summary>
public sealed class QuotaTests(QuotaFixture fixture, ITestOutputHelper output) : IClassFixture<QuotaFixture>
{
    private GcRegistry Registry => fixture.Registry;

    [Fact]
    public async Task A_push_over_the_quota_is_refused_at_the_final_put_with_the_figures_and_nothing_of_it_is_counted()
    {
        const string ns = "qfull";
        await Registry.SetAsync(ns, 100_000);
        var shared = GcRegistry.RandomBlob(40_000);
        var (config1, config2) = (GcRegistry.RandomBlob(300), GcRegistry.RandomBlob(301));
        var unique = GcRegistry.RandomBlob(50_000);
        var one = await Registry.PushAsync($"{ns}/one", "v1", config1, shared);
        var two = await Registry.PushAsync($"{ns}/two", "v1", config2, shared, unique);
        Assert.Null(await Registry.PullFailureAsync(one));
        Assert.Null(await Registry.PullFailureAsync(two));

        // The shared layer counts once in the namespace.
        var used = await Registry.AssertExactAsync(ns);
        Assert.Equal(40_000 + 300 + 301 + 50_000, used);

        // A third image's layer does not fit: its final PUT is refused, and the refusal says how much is used and allowed.
        var tooBig = GcRegistry.RandomBlob(20_000);
        using (var put = await Registry.UploadInChunksAsync($"{ns}/three", tooBig))
        {
            await Expect.StatusAsync(put, HttpStatusCode.Forbidden);
            var error = await QuotaSite.OciErrorAsync(put);
            Assert.Equal("DENIED", (string?)error["code"]);
            Assert.Equal("quota exceeded for namespace qfull: 88.5 KiB used of 97.7 KiB allowed, this blob needs 19.5 KiB", (string?)error["message"]);
            Assert.Equal(used, (long)error["detail"]!["usedBytes"]!);
            Assert.Equal(100_000, (long)error["detail"]!["limitBytes"]!);
            Assert.Equal(tooBig.Length, (long)error["detail"]!["neededBytes"]!);
        }

        // Nothing of it is counted or linked, and a manifest cannot name it.
        Assert.Equal(used, await Registry.AssertExactAsync(ns));
        Assert.False(await Registry.BlobLinkedAsync($"{ns}/three", GcRegistry.DigestOf(tooBig)));
        using (var manifest = await Registry.PutManifestAsync($"{ns}/three", "v1", GcRegistry.ManifestOf(config1, [tooBig])))
        {
            Assert.Equal("MANIFEST_BLOB_UNKNOWN", (string?)(await QuotaSite.OciErrorAsync(manifest))["code"]);
        }

        // In a namespace without a quota the same blob is stored; mounting it from there counts too, and is refused.
        Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync("qfree/app", tooBig));
        using (var mount = await Registry.Site.Http.PostAsync($"v2/{ns}/three/blobs/uploads/?mount={GcRegistry.DigestOf(tooBig)}&from=qfree/app", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, mount.StatusCode);
            Assert.StartsWith("quota exceeded for namespace qfull: 88.5 KiB used", (string?)(await QuotaSite.OciErrorAsync(mount))["message"], StringComparison.Ordinal);
        }

        Assert.Equal(used, await Registry.AssertExactAsync(ns));

        // A blob the namespace holds already costs nothing more: a repository of it can link it at any usage.
        Assert.Equal(HttpStatusCode.Created, await Registry.MountAsync($"{ns}/three", $"{ns}/two", GcRegistry.DigestOf(unique)));
        Assert.Equal(used, await Registry.AssertExactAsync(ns));

        // Raised, the quota lets the image through; it pulls.
        await Registry.SetAsync(ns, 200_000);
        var three = await Registry.PushAsync($"{ns}/three", "v1", config1, tooBig, unique);
        Assert.Null(await Registry.PullFailureAsync(three));
        Assert.Equal(used + tooBig.Length, await Registry.AssertExactAsync(ns));

        // Lowered below the usage, the quota takes no new image: the manifest PUT is refused too.
        await Registry.SetAsync(ns, 50_000);
        using (var manifest = await Registry.PutManifestAsync($"{ns}/three", "v2", GcRegistry.ManifestOf(config1, [tooBig])))
        {
            await Expect.StatusAsync(manifest, HttpStatusCode.Forbidden);
            var error = await QuotaSite.OciErrorAsync(manifest);
            Assert.Equal("DENIED", (string?)error["code"]);
            Assert.Equal("quota exceeded for namespace qfull: 108.0 KiB used of 48.8 KiB allowed", (string?)error["message"]);
        }

        Assert.Null(await Registry.PullFailureAsync(one));
    }

    [Fact]
    public async Task Of_two_concurrent_pushes_that_together_exceed_the_quota_exactly_one_succeeds()
    {
        const int Rounds = 6;
        const int Racers = 3;
        var losers = new List<byte[]>();
        for (var round = 0; round < Rounds; round++)
        {
            // Each blob fits alone; any two exceed the quota. The link's transaction decides, one at a time.
            var ns = $"qduel{round}";
            await Registry.SetAsync(ns, 100_000);
            var blobs = Enumerable.Range(0, Racers).Select(_ => GcRegistry.RandomBlob(60_000)).ToArray();
            var statuses = await Task.WhenAll(blobs.Select((blob, i) => Task.Run(async () =>
            {
                using var put = await Registry.UploadInChunksAsync($"{ns}/racer{i}", blob);
                return put.StatusCode;
            })));

            Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
            Assert.Equal(Racers - 1, statuses.Count(s => s == HttpStatusCode.Forbidden));
            Assert.Equal(60_000, await Registry.AssertExactAsync(ns));
            var winner = blobs[Array.IndexOf(statuses, HttpStatusCode.Created)];
            losers.AddRange(blobs.Where(b => b != winner));
        }

        // A loser refused in the link's transaction had published its bytes already: they are left to the collector, which
        // reclaims them (no row, no link holds them); the same pass leaves nothing else of the losers.
        await Registry.RunGcAsync(grace: "0s");
        foreach (var loser in losers)
        {
            Assert.Null(await Registry.StoredSizeAsync(GcRegistry.DigestOf(loser)));
        }
    }

    [Fact]
    public async Task Usage_equals_a_recount_after_concurrent_pushes_mounts_deletes_and_collections()
    {
        const string ns = "qrace";
        const int Pushers = 4;
        const int Rounds = 8;
        const long Limit = 40_000;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        await Registry.SetAsync(ns, Limit);

        // Shared layers every image takes two of (counted once however many repositories link them), and a layer of
        // its own; the quota holds only a few images at a time, so pushes are refused while others delete.
        var sharedLayers = Enumerable.Range(0, 4).Select(_ => GcRegistry.RandomBlob(5_000)).ToArray();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        var passes = 0;
        using var pushing = new CancellationTokenSource();
        var collector = Task.Run(async () =>
        {
            // A second's grace, as an operator would give one: a push's blobs are not collected between its uploads and
            // its manifest PUT, while what deleted images and refused pushes left goes as the pushes go on.
            for (; passes < 40 && !pushing.IsCancellationRequested && DateTime.UtcNow < deadline; passes++)
            {
                await Task.Delay(100);
                await Registry.RunGcAsync(grace: "1s");
                var (used, limit) = await Registry.UsageAsync(ns);
                Assert.True(used <= limit, $"usage {used} over the quota {limit}");
            }
        });

        var pushers = Enumerable.Range(0, Pushers).Select(p => Task.Run(async () =>
        {
            for (var round = 0; round < Rounds && DateTime.UtcNow < deadline; round++)
            {
                var repository = $"{ns}/p{p}";
                var config = GcRegistry.RandomBlob(200 + p);
                var own = GcRegistry.RandomBlob(8_000);
                byte[][] layers = [sharedLayers[(p + round) % 4], sharedLayers[(p + round + 1) % 4], own];
                var refused = false;
                foreach (var blob in layers.Prepend(config))
                {
                    // Half the time a shared layer is mounted from a sibling rather than uploaded.
                    var status = blob.Length == 5_000 && round % 2 == 1
                        ? await Registry.MountAsync(repository, $"{ns}/p{(p + 1) % Pushers}", GcRegistry.DigestOf(blob))
                        : HttpStatusCode.Accepted;
                    if (status != HttpStatusCode.Created)
                    {
                        status = await Registry.UploadAsync(repository, blob);
                    }

                    // 503: a collector's deletion of that blob was under way (the client would retry).
                    Assert.True(status is HttpStatusCode.Created or HttpStatusCode.Forbidden or HttpStatusCode.ServiceUnavailable, $"upload: {(int)status}");
                    refused |= status != HttpStatusCode.Created;
                }

                var manifest = GcRegistry.ManifestOf(config, layers);
                using (var put = await Registry.PutManifestAsync(repository, $"r{round}", manifest))
                {
                    // Refused layers, or layers a collection took before the manifest named them (a push slower than the grace): not pushed.
                    var code = put.StatusCode == HttpStatusCode.Created ? "pushed" : (string?)(await QuotaSite.OciErrorAsync(put))["code"];
                    Assert.True(code is "pushed" or "MANIFEST_BLOB_UNKNOWN", $"manifest PUT: {(int)put.StatusCode} {code}");
                    outcomes.Add(refused ? "refused" : code!);
                    if (code == "pushed")
                    {
                        Assert.Null(await Registry.PullFailureAsync(GcRegistry.Pushed(repository, $"r{round}", manifest, config, layers)));
                    }
                }

                // Deletions: the image, a blob link, or every so often the whole repository.
                await Registry.DeleteManifestAsync(repository, GcRegistry.DigestOf(manifest));
                using (var unlink = await Registry.Site.Http.DeleteAsync($"v2/{repository}/blobs/{GcRegistry.DigestOf(own)}"))
                {
                    Assert.True(unlink.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NotFound, $"blob DELETE: {(int)unlink.StatusCode}");
                }

                if (round % 3 == 2)
                {
                    using var delete = await Registry.Site.Admin.SendAsync(HttpMethod.Delete, $"api/v1/repositories/{repository}");
                    Assert.True(delete.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"repository DELETE: {(int)delete.StatusCode}");
                }
            }
        })).ToList();

        await Task.WhenAll(pushers);
        await pushing.CancelAsync();
        await collector;
        output.WriteLine($"{passes} collections; images: " + string.Join(", ", outcomes.CountBy(o => o).Select(c => $"{c.Value} {c.Key}")));
        Assert.Contains("pushed", outcomes);
        var beforeCollection = await Registry.AssertExactAsync(ns);
        Assert.True(beforeCollection <= Limit);

        // With every image deleted, a last pass unlinks every blob: nothing is left counted.
        await Registry.RunGcAsync(grace: "0s");
        Assert.Equal(0, await Registry.AssertExactAsync(ns));
    }

    [Fact]
    public async Task Deleting_an_image_and_collecting_or_deleting_a_repository_lowers_the_usage()
    {
        const string ns = "qdrop";
        await Registry.SetAsync(ns, 1_000_000);
        var shared = GcRegistry.RandomBlob(30_000);
        var (config1, unique1) = (GcRegistry.RandomBlob(310), GcRegistry.RandomBlob(12_000));
        var (config2, unique2) = (GcRegistry.RandomBlob(311), GcRegistry.RandomBlob(14_000));
        var gone = await Registry.PushAsync($"{ns}/one", "v1", config1, shared, unique1);
        var kept = await Registry.PushAsync($"{ns}/two", "v1", config2, shared, unique2);
        var full = await Registry.AssertExactAsync(ns);
        Assert.Equal(30_000 + 310 + 12_000 + 311 + 14_000, full);

        // The manifest's deletion leaves its blobs linked until the collector finds them unreferenced.
        await Registry.DeleteManifestAsync($"{ns}/one", gone.ManifestDigest);
        Assert.Equal(full, await Registry.AssertExactAsync(ns));
        await Registry.RunGcAsync(grace: "0s");
        Assert.Equal(full - 310 - 12_000, await Registry.AssertExactAsync(ns));
        Assert.Null(await Registry.PullFailureAsync(kept));

        using (var delete = await Registry.Site.Admin.SendAsync(HttpMethod.Delete, $"api/v1/repositories/{ns}/two"))
        {
            await Expect.StatusAsync(delete, HttpStatusCode.NoContent);
        }

        // A repository's deletion takes its links at once: what only it linked in the namespace no longer counts. The
        // shared layer stays counted while the first repository links it, until the collector finds it unreferenced.
        Assert.Equal(30_000, await Registry.AssertExactAsync(ns));
        await Registry.RunGcAsync(grace: "0s");
        Assert.Equal(0, await Registry.AssertExactAsync(ns));
    }

    [Fact]
    public async Task Only_site_administrators_set_or_remove_a_quota_the_namespace_sees_its_usage_and_bad_values_are_400()
    {
        var owner = await Registry.Site.CreateUserAsync("qowner");
        var other = await Registry.Site.CreateUserAsync("qother");
        var ns = owner.Name!;
        var path = $"api/v1/namespaces/{ns}/quota";
        await Registry.PushAsync($"{ns}/app", "v1", GcRegistry.RandomBlob(320), GcRegistry.RandomBlob(9_000));

        // Without a quota the owner sees the usage, counted now; no limit.
        var view = await owner.GetJsonAsync(path);
        Assert.Equal(9_320, (long)view["usedBytes"]!);
        Assert.Null(view["limitBytes"]);

        using (var set = await owner.SendAsync(HttpMethod.Put, path, new JsonObject { ["limitBytes"] = 1_000_000 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, set.StatusCode);
        }

        using (var peek = await other.SendAsync(HttpMethod.Get, path))
        {
            Assert.Equal(HttpStatusCode.Forbidden, peek.StatusCode);
        }

        using (var anonymous = await Registry.Site.Http.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        foreach (var bad in new JsonNode?[] { new JsonObject { ["limitBytes"] = -1 }, new JsonObject { ["limitBytes"] = "100MiB" }, new JsonObject(), new JsonObject { ["limitBytes"] = 1.5 } })
        {
            using var refused = await Registry.Site.Admin.SendAsync(HttpMethod.Put, path, bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        using (var badName = await Registry.Site.Admin.SendAsync(HttpMethod.Put, "api/v1/namespaces/Not_A-Name!/quota", new JsonObject { ["limitBytes"] = 1 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        }

        using (var set = await Registry.Site.Admin.SendAsync(HttpMethod.Put, path, new JsonObject { ["limitBytes"] = 50_000 }))
        {
            await Expect.StatusAsync(set, HttpStatusCode.OK);
            var answer = await Json.ReadAsync(set);
            Assert.Equal((50_000L, 9_320L, 40_680L), ((long)answer["limitBytes"]!, (long)answer["usedBytes"]!, (long)answer["remainingBytes"]!));
        }

        view = await owner.GetJsonAsync(path);
        Assert.Equal((50_000L, 9_320L), ((long)view["limitBytes"]!, (long)view["usedBytes"]!));

        using (var remove = await owner.SendAsync(HttpMethod.Delete, path))
        {
            Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
        }

        using (var remove = await Registry.Site.Admin.SendAsync(HttpMethod.Delete, path))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        using (var again = await Registry.Site.Admin.SendAsync(HttpMethod.Delete, path))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        Assert.Null((await owner.GetJsonAsync(path))["limitBytes"]);

        // An organisation's owners see its usage; its other members do not.
        var org = $"qorg{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
        using (var created = await owner.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = org }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        using (var member = await owner.SendAsync(HttpMethod.Put, $"api/v1/orgs/{org}/members/{other.Name}", new JsonObject { ["role"] = "member" }))
        {
            await Expect.StatusAsync(member, HttpStatusCode.NoContent);
        }

        Assert.Equal(0, (long)(await owner.GetJsonAsync($"api/v1/namespaces/{org}/quota"))["usedBytes"]!);
        using (var peek = await other.SendAsync(HttpMethod.Get, $"api/v1/namespaces/{org}/quota"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, peek.StatusCode);
        }

        var document = await Registry.Site.Http.GetStringAsync("api/v1/openapi.json");
        Assert.Contains("\"/api/v1/namespaces/{namespace}/quota\"", document, StringComparison.Ordinal);
    }
}
