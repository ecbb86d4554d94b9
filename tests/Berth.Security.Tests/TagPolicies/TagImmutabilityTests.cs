using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Gc;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.TagPolicies;

/// <summary>
/// Issue 15, point 4: a tag an immutability rule matches cannot be moved (a manifest PUT by tag, or by digest with
/// <c>?tag=</c>) nor deleted (by tag, or by deleting the manifest it points at); a new matching tag and the same digest
/// again are accepted; once the rule is lifted the tag moves. Who may manage rules and policies.
/// </summary>
public sealed class TagImmutabilityTests(TagPolicySite fixture) : IClassFixture<TagPolicySite>
{
    private GcRegistry Registry => fixture.Registry;

    private Site Site => fixture.Site;

    [Fact]
    public async Task A_matching_tag_refuses_moves_and_deletes_until_the_rule_is_lifted()
    {
        var repository = TagPolicySite.Unique("imm/app");
        var first = await Registry.PushAsync(repository, "v1.0", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(3_000));
        var second = await Registry.PushAsync(repository, "latest", GcRegistry.RandomBlob(201), GcRegistry.RandomBlob(3_000));
        var rules = $"api/v1/repositories/{repository}/-/tag-rules";
        var rule = await fixture.CreateAsync(rules, new JsonObject { ["pattern"] = "v*" });
        var denied = $"tag v1.0 is immutable (rule v* on repository {repository})";

        using (var move = await Registry.PutManifestAsync(repository, "v1.0", second.Manifest))
        {
            await TagPolicySite.ExpectDeniedAsync(move, denied);
        }

        using (var moveByDigest = await fixture.PutByDigestAsync(repository, second.Manifest, "v1.0"))
        {
            await TagPolicySite.ExpectDeniedAsync(moveByDigest, denied);
        }

        using (var deleteTag = await Site.Http.DeleteAsync($"v2/{repository}/manifests/v1.0"))
        {
            await TagPolicySite.ExpectDeniedAsync(deleteTag, denied);
        }

        using (var deleteDigest = await Site.Http.DeleteAsync($"v2/{repository}/manifests/{first.ManifestDigest}"))
        {
            await TagPolicySite.ExpectDeniedAsync(deleteDigest, denied);
        }

        Assert.Equal(first.ManifestDigest, await fixture.TaggedAsync(repository, "v1.0"));
        Assert.Null(await Registry.PullFailureAsync(first));

        // Not moves: the same digest again (by tag and by digest), a new matching tag, and a tag no rule matches.
        using (var again = await Registry.PutManifestAsync(repository, "v1.0", first.Manifest))
        {
            await Expect.StatusAsync(again, HttpStatusCode.Created);
        }

        using (var againByDigest = await fixture.PutByDigestAsync(repository, first.Manifest, "v1.0"))
        {
            await Expect.StatusAsync(againByDigest, HttpStatusCode.Created);
        }

        using (var newTag = await Registry.PutManifestAsync(repository, "v2.0", second.Manifest))
        {
            await Expect.StatusAsync(newTag, HttpStatusCode.Created);
        }

        using (var unmatched = await Registry.PutManifestAsync(repository, "latest", first.Manifest))
        {
            await Expect.StatusAsync(unmatched, HttpStatusCode.Created);
        }

        // Deleting the manifest v2.0 points at would delete v2.0.
        using (var deleteSecond = await Site.Http.DeleteAsync($"v2/{repository}/manifests/{second.ManifestDigest}"))
        {
            await TagPolicySite.ExpectDeniedAsync(deleteSecond, $"tag v2.0 is immutable (rule v* on repository {repository})");
        }

        var listed = await Site.Admin.GetJsonAsync(rules);
        Assert.Equal(["v*"], listed.AsArray().Select(r => (string)r!["pattern"]!));
        using (var lift = await Site.Admin.SendAsync(HttpMethod.Delete, $"{rules}/{rule}"))
        {
            await Expect.StatusAsync(lift, HttpStatusCode.NoContent);
        }

        using (var moved = await Registry.PutManifestAsync(repository, "v1.0", second.Manifest))
        {
            await Expect.StatusAsync(moved, HttpStatusCode.Created);
        }

        Assert.Equal(second.ManifestDigest, await fixture.TaggedAsync(repository, "v1.0"));
        using (var deleted = await Site.Http.DeleteAsync($"v2/{repository}/manifests/v1.0"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.Accepted);
        }

        Assert.Null(await fixture.TaggedAsync(repository, "v1.0"));
        Assert.Empty(await Site.Admin.GetJsonAsync(rules) as JsonArray ?? []);
    }

    [Fact]
    public async Task A_namespace_rule_holds_the_tags_of_every_repository_in_it()
    {
        var org = TagPolicySite.Unique("immorg");
        using (var created = await Site.Admin.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = org }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        await fixture.CreateAsync($"api/v1/orgs/{org}/tag-rules", new JsonObject { ["pattern"] = "release-?.*" });
        var repository = $"{org}/api";
        var first = await Registry.PushAsync(repository, "release-1.0", GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(2_000));
        var second = await Registry.PushAsync(repository, "release-10", GcRegistry.RandomBlob(201), GcRegistry.RandomBlob(2_000));

        using (var move = await Registry.PutManifestAsync(repository, "release-1.0", second.Manifest))
        {
            await TagPolicySite.ExpectDeniedAsync(move, $"tag release-1.0 is immutable (rule release-?.* on namespace {org})");
        }

        // release-10 does not match release-?.* (one character, then a dot): it moves.
        using (var other = await Registry.PutManifestAsync(repository, "release-10", first.Manifest))
        {
            await Expect.StatusAsync(other, HttpStatusCode.Created);
        }

        Assert.Equal(first.ManifestDigest, await fixture.TaggedAsync(repository, "release-1.0"));
        Assert.Equal(first.ManifestDigest, await fixture.TaggedAsync(repository, "release-10"));
    }

    [Fact]
    public async Task Pushes_racing_to_create_an_immutable_tag_leave_exactly_one_winner_and_the_tag_never_moves()
    {
        const int Racers = 8;
        var repository = TagPolicySite.Unique("imm/race");
        await Registry.PushAsync(repository, "seed", GcRegistry.RandomBlob(100), GcRegistry.RandomBlob(1_000));
        await fixture.CreateAsync($"api/v1/repositories/{repository}/-/tag-rules", new JsonObject { ["pattern"] = "v*" });

        var layer = GcRegistry.RandomBlob(4_000);
        Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync(repository, layer));
        var manifests = new List<byte[]>();
        for (var i = 0; i < Racers; i++)
        {
            var config = GcRegistry.RandomBlob(300 + i);
            Assert.Equal(HttpStatusCode.Created, await Registry.UploadAsync(repository, config));
            manifests.Add(GcRegistry.ManifestOf(config, [layer]));
        }

        for (var round = 0; round < 3; round++)
        {
            var tag = $"v{round}";
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = manifests.Select((manifest, i) => Task.Run(async () =>
            {
                await start.Task;
                // Half push by tag, half by digest with ?tag=: both are moves once the tag exists.
                using var response = i % 2 == 0 ? await Registry.PutManifestAsync(repository, tag, manifest) : await fixture.PutByDigestAsync(repository, manifest, tag);
                return (Status: response.StatusCode, Body: await response.Content.ReadAsStringAsync(), Digest: GcRegistry.DigestOf(manifest));
            })).ToList();
            start.SetResult();
            var answers = await Task.WhenAll(racers);

            var winners = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
            Assert.True(winners.Count == 1, string.Join("\n", answers.Select(a => $"{(int)a.Status} {a.Body}")));
            Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a =>
                Assert.True(a.Status == HttpStatusCode.Forbidden && a.Body.Contains($"tag {tag} is immutable (rule v* on repository {repository})", StringComparison.Ordinal), $"{(int)a.Status} {a.Body}"));
            Assert.Equal(winners[0].Digest, await fixture.TaggedAsync(repository, tag));

            // Afterwards every other digest is refused too, and the winner's again is accepted.
            foreach (var manifest in manifests)
            {
                using var late = await Registry.PutManifestAsync(repository, tag, manifest);
                Assert.Equal(GcRegistry.DigestOf(manifest) == winners[0].Digest ? HttpStatusCode.Created : HttpStatusCode.Forbidden, late.StatusCode);
            }

            Assert.Equal(winners[0].Digest, await fixture.TaggedAsync(repository, tag));
        }
    }

    [Fact]
    public async Task Only_administrators_of_the_scope_manage_rules_and_policies()
    {
        var repository = TagPolicySite.Unique("imm/perm");
        await Registry.PushAsync(repository, "v1", GcRegistry.RandomBlob(100), GcRegistry.RandomBlob(1_000));
        var org = TagPolicySite.Unique("permorg");
        using (var created = await Site.Admin.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = org }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        var user = await Site.CreateUserAsync("tagger");
        var scopes = new[] { $"api/v1/repositories/{repository}/-/", $"api/v1/orgs/{org}/" };
        var bodies = new Dictionary<string, JsonObject>
        {
            ["tag-rules"] = new() { ["pattern"] = "v*" },
            ["retention-policies"] = new() { ["pattern"] = "*", ["keepLast"] = 1 },
        };
        foreach (var scope in scopes)
        {
            foreach (var (collection, body) in bodies)
            {
                var id = await fixture.CreateAsync(scope + collection, (JsonObject)body.DeepClone());
                foreach (var (method, path, sent) in new (HttpMethod, string, JsonObject?)[]
                {
                    (HttpMethod.Get, scope + collection, null),
                    (HttpMethod.Post, scope + collection, (JsonObject)body.DeepClone()),
                    (HttpMethod.Delete, $"{scope}{collection}/{id}", null),
                })
                {
                    using var refused = await user.SendAsync(method, path, sent);
                    Assert.True(refused.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{user} {method} {path}: {(int)refused.StatusCode}");
                    using var anonymous = await Site.Anonymous.SendAsync(method, path, sent);
                    Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                }

                // Nothing the refused calls did shows: the one created is still there, alone.
                Assert.Equal([id], (await Site.Admin.GetJsonAsync(scope + collection)).AsArray().Select(r => (long)r!["id"]!));
            }
        }

        // The user administers their own namespace.
        var own = await fixture.CreateAsync("api/v1/user/tag-rules", new JsonObject { ["pattern"] = "stable" }, user);
        using (var lifted = await user.SendAsync(HttpMethod.Delete, $"api/v1/user/tag-rules/{own}"))
        {
            await Expect.StatusAsync(lifted, HttpStatusCode.NoContent);
        }

        // Validated at the edge.
        foreach (var (collection, body) in new (string, JsonObject)[]
        {
            ("tag-rules", new() { ["pattern"] = "v/*" }),
            ("tag-rules", new() { ["pattern"] = "" }),
            ("tag-rules", new() { ["pattern"] = "-x*" }),
            ("retention-policies", new() { ["pattern"] = "*" }),
            ("retention-policies", new() { ["pattern"] = "*", ["keepLast"] = 0 }),
            ("retention-policies", new() { ["pattern"] = "*", ["keepDays"] = -1 }),
        })
        {
            using var bad = await Site.Admin.SendAsync(HttpMethod.Post, scopes[0] + collection, body);
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"{collection} {body.ToJsonString()}: {(int)bad.StatusCode}");
        }

        var document = await Site.Http.GetStringAsync("api/v1/openapi.json");
        foreach (var path in new[] { "/api/v1/repositories/{name}/-/tag-rules", "/api/v1/orgs/{org}/retention-policies/{id}", "/api/v1/user/tag-rules" })
        {
            Assert.Contains($"\"{path}\"", document, StringComparison.Ordinal);
        }
    }
}
