using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Berth.Index.Tests.Support;
using Berth.Testing;
using Berth.Testing.Images;

namespace Berth.Index.Tests;

public sealed class RepositoriesApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task A_new_repository_is_private_by_default_with_its_namespace()
    {
        var user = await site.CreateUserAsync();
        var created = (await user.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/tools/app", ["description"] = "An app" }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/repositories/{user.Name}/tools/app", created.Headers.Location?.OriginalString);

        var repository = created.Json!.AsObject();
        Assert.Equal(
            new[] { "commentCount", "createdAt", "description", "lastPushedAt", "name", "namespace", "permission", "pullCount", "starCount", "starred", "tags", "visibility" },
            repository.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal($"{user.Name}/tools/app", (string?)repository["name"]);
        Assert.Equal(user.Name, (string?)repository["namespace"]);
        Assert.Equal("private", (string?)repository["visibility"]);
        Assert.Equal("An app", (string?)repository["description"]);
        Assert.Equal("admin", (string?)repository["permission"]);
        Assert.Equal(0, (long)repository["starCount"]!);
        Assert.Empty(repository["tags"]!.AsArray());

        var fetched = await user.GetJsonAsync($"api/v1/repositories/{user.Name}/tools/app");
        Assert.Equal("An app", (string?)fetched["description"]);
        Assert.Contains(await AuditAsync(), e => (string?)e["action"] == "repository.created" && (string?)e["target"] == $"{user.Name}/tools/app");
    }

    [Fact]
    public async Task Creation_follows_the_namespace_rules()
    {
        var user = await site.CreateUserAsync();
        var other = await site.CreateUserAsync();
        (await site.Anonymous.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/app" })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await other.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/app" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await user.PostAsync("api/v1/repositories", new JsonObject { ["name"] = "toplevel" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await user.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/Bad_Name!" })).ExpectProblem(HttpStatusCode.BadRequest);
        (await user.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/app", ["visibility"] = "secret" })).ExpectProblem(HttpStatusCode.BadRequest);

        var created = await user.CreateRepositoryAsync($"{user.Name}/app", visibility: "public");
        Assert.Equal("public", (string?)created["visibility"]);
        (await user.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{user.Name}/app" })).ExpectProblem(HttpStatusCode.Conflict);

        var top = await site.Admin.CreateRepositoryAsync(IndexSite.UniqueName("top"));
        Assert.Equal("", (string?)top["namespace"]);
    }

    [Fact]
    public async Task A_private_repository_is_answered_like_an_absent_one()
    {
        var owner = await site.CreateUserAsync();
        var other = await site.CreateUserAsync();
        var name = $"{owner.Name}/secret";
        await owner.CreateRepositoryAsync(name);

        foreach (var caller in new[] { site.Anonymous, other })
        {
            foreach (var path in new[] { "", "/-/tags", "/-/comments" })
            {
                var hidden = (await caller.GetAsync($"api/v1/repositories/{name}{path}")).ExpectProblem(HttpStatusCode.NotFound);
                var absent = (await caller.GetAsync($"api/v1/repositories/{owner.Name}/nothing{path}")).ExpectProblem(HttpStatusCode.NotFound);
                Assert.Equal((string?)absent["title"], (string?)hidden["title"]);
                Assert.Equal(((string?)absent["detail"])!.Replace("nothing", "secret", StringComparison.Ordinal), (string?)hidden["detail"]);
            }
        }

        (await other.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["description"] = "mine" })).ExpectProblem(HttpStatusCode.NotFound);
        (await other.DeleteAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);
        (await other.GetAsync($"api/v1/repositories/{name}/-/collaborators")).ExpectProblem(HttpStatusCode.NotFound);
        Assert.DoesNotContain((await other.GetJsonAsync($"api/v1/repositories?namespace={owner.Name}")).AsArray(), r => (string?)r!["name"] == name);
        Assert.Contains((await owner.GetJsonAsync($"api/v1/repositories?namespace={owner.Name}")).AsArray(), r => (string?)r!["name"] == name);
    }

    [Fact]
    public async Task Admins_change_visibility_and_description_and_the_change_is_audited()
    {
        var owner = await site.CreateUserAsync();
        var reader = await site.CreateUserAsync();
        var name = $"{owner.Name}/app";
        await owner.CreateRepositoryAsync(name, description: "before");
        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/{reader.Name}", Level("read"))).Expect(HttpStatusCode.NoContent);

        (await reader.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["visibility"] = "public" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await owner.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["visibility"] = "everyone" })).ExpectProblem(HttpStatusCode.BadRequest);

        var patched = (await owner.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["visibility"] = "public" })).Expect(HttpStatusCode.OK).Json!;
        Assert.Equal("public", (string?)patched["visibility"]);
        Assert.Equal("before", (string?)patched["description"]);
        Assert.Equal("read", (string?)(await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}"))["permission"]);

        patched = (await owner.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["description"] = "after" })).Expect(HttpStatusCode.OK).Json!;
        Assert.Equal("public", (string?)patched["visibility"]);
        Assert.Equal("after", (string?)patched["description"]);

        var change = Assert.Single(await AuditAsync(), e => (string?)e["action"] == "repository.visibility.changed" && (string?)e["target"] == name);
        Assert.Equal(owner.Name, (string?)change["actor"]);
    }

    [Fact]
    public async Task Listing_filters_by_namespace_and_pages_by_name()
    {
        var user = await site.CreateUserAsync();
        foreach (var n in new[] { "c", "a", "b" })
        {
            await user.CreateRepositoryAsync($"{user.Name}/{n}");
        }

        var first = await user.GetJsonAsync($"api/v1/repositories?namespace={user.Name}&n=2");
        Assert.Equal(new[] { $"{user.Name}/a", $"{user.Name}/b" }, first.AsArray().Select(r => (string?)r!["name"]));
        var second = await user.GetJsonAsync($"api/v1/repositories?namespace={user.Name}&n=2&page=2");
        Assert.Equal(new[] { $"{user.Name}/c" }, second.AsArray().Select(r => (string?)r!["name"]));
        Assert.Equal(
            new[] { "description", "lastPushedAt", "name", "namespace", "pullCount", "starCount", "visibility" },
            first[0]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        (await user.GetAsync("api/v1/repositories?n=101")).ExpectProblem(HttpStatusCode.BadRequest);
        (await user.GetAsync("api/v1/repositories?page=0")).ExpectProblem(HttpStatusCode.BadRequest);
        (await user.GetAsync("api/v1/repositories?n=ten")).ExpectProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Deleting_a_repository_removes_its_tags_and_manifests_but_leaves_blobs_for_gc()
    {
        var user = await site.CreateUserAsync();
        var name = $"{user.Name}/deleted";
        var image = new ImageFactory().CreateImage(layers: 1);
        var token = await site.RegistryTokenAsync(user, $"repository:{name}:pull,push,delete");
        using var registry = site.RegistryClient(token);
        await PushAsync(registry, name, "v1", image);

        var tags = await user.GetJsonUntilAsync($"api/v1/repositories/{name}/-/tags", t => t.AsArray().Count > 0);
        var tag = Assert.Single(tags.AsArray())!;
        Assert.Equal("v1", (string?)tag["name"]);
        Assert.Equal(image.Manifest.Digest, (string?)tag["digest"]);
        Assert.Equal(image.Manifest.MediaType, (string?)tag["mediaType"]);
        Assert.Equal(image.AllContent.Sum(b => b.Size), (long)tag["size"]!);
        Assert.NotNull((string?)tag["pushedAt"]);
        var repository = await user.GetJsonAsync($"api/v1/repositories/{name}");
        Assert.Equal("v1", (string?)repository["tags"]![0]!["name"]);
        Assert.NotNull((string?)repository["lastPushedAt"]);

        var other = await site.CreateUserAsync();
        (await other.DeleteAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);
        (await site.Anonymous.DeleteAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await user.DeleteAsync($"api/v1/repositories/{name}")).Expect(HttpStatusCode.NoContent);

        (await user.GetAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);
        using (var tagList = await registry.GetAsync($"v2/{name}/tags/list"))
        {
            Assert.Equal(HttpStatusCode.NotFound, tagList.StatusCode);
            Assert.Contains("NAME_UNKNOWN", await tagList.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var manifest = await registry.GetAsync($"v2/{name}/manifests/{image.Manifest.Digest}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        }

        using (var blob = await registry.GetAsync($"v2/{name}/blobs/{image.Layers[0].Digest}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);
        }

        var stored = await StoredObjects.Of(site.Server).ListAsync("blobs");
        Assert.Contains(stored, o => o.Key.Contains(image.Layers[0].Hex, StringComparison.Ordinal));
        Assert.Contains(await AuditAsync(), e => (string?)e["action"] == "repository.deleted" && (string?)e["target"] == name);

        // The name is free again: a new push recreates the repository from scratch.
        await PushAsync(registry, name, "v2", image);
        var recreated = await user.GetJsonUntilAsync($"api/v1/repositories/{name}/-/tags", t => t.AsArray().Count > 0);
        Assert.Equal(new[] { "v2" }, recreated.AsArray().Select(t => (string?)t!["name"]));
    }

    [Fact]
    public async Task Collaborators_are_granted_listed_and_removed_by_admins()
    {
        var owner = await site.CreateUserAsync("owner");
        var friend = await site.CreateUserAsync("friend");
        var name = $"{owner.Name}/shared";
        await owner.CreateRepositoryAsync(name);

        (await friend.GetAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);
        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}", Level("read"))).Expect(HttpStatusCode.NoContent);
        Assert.Equal("read", (string?)(await friend.GetJsonAsync($"api/v1/repositories/{name}"))["permission"]);
        (await friend.GetAsync($"api/v1/repositories/{name}/-/collaborators")).ExpectProblem(HttpStatusCode.Forbidden);
        (await friend.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}", Level("admin"))).ExpectProblem(HttpStatusCode.Forbidden);

        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}", Level("write"))).Expect(HttpStatusCode.NoContent);
        var grant = Assert.Single((await owner.GetJsonAsync($"api/v1/repositories/{name}/-/collaborators")).AsArray())!.AsObject();
        Assert.Equal(new[] { "level", "user" }, grant.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(friend.Name, (string?)grant["user"]);
        Assert.Equal("write", (string?)grant["level"]);
        Assert.Equal("write", (string?)(await friend.GetJsonAsync($"api/v1/repositories/{name}"))["permission"]);

        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}", Level("owner"))).ExpectProblem(HttpStatusCode.BadRequest);
        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/users/nobody-here", Level("read"))).ExpectProblem(HttpStatusCode.NotFound);
        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/teams/devs", Level("read"))).ExpectProblem(HttpStatusCode.BadRequest);

        (await owner.DeleteAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}")).Expect(HttpStatusCode.NoContent);
        (await owner.DeleteAsync($"api/v1/repositories/{name}/-/collaborators/users/{friend.Name}")).ExpectProblem(HttpStatusCode.NotFound);
        (await friend.GetAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);

        var changes = (await AuditAsync()).Where(e => (string?)e["action"] == "collaborator.changed" && (string?)e["target"] == name).ToList();
        Assert.Equal(3, changes.Count);
    }

    [Fact]
    public async Task Teams_of_the_repositorys_organisation_can_be_granted()
    {
        var owner = await site.CreateUserAsync("owner");
        var dev = await site.CreateUserAsync("dev");
        var org = IndexSite.UniqueName("org");
        var otherOrg = IndexSite.UniqueName("org");
        foreach (var o in new[] { org, otherOrg })
        {
            (await owner.PostAsync("api/v1/orgs", new JsonObject { ["name"] = o })).Expect(HttpStatusCode.Created);
            (await owner.PostAsync($"api/v1/orgs/{o}/teams", new JsonObject { ["name"] = o == org ? "devs" : "others" })).Expect(HttpStatusCode.Created);
        }

        (await owner.PutAsync($"api/v1/orgs/{org}/teams/devs/members/{dev.Name}")).Expect(HttpStatusCode.NoContent);
        var name = $"{org}/service";
        await owner.CreateRepositoryAsync(name);
        (await dev.GetAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);

        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/teams/others", Level("read"))).ExpectProblem(HttpStatusCode.NotFound);
        (await owner.PutAsync($"api/v1/repositories/{name}/-/collaborators/teams/devs", Level("write"))).Expect(HttpStatusCode.NoContent);
        Assert.Equal("write", (string?)(await dev.GetJsonAsync($"api/v1/repositories/{name}"))["permission"]);
        var grant = Assert.Single((await owner.GetJsonAsync($"api/v1/repositories/{name}/-/collaborators")).AsArray())!;
        Assert.Equal("devs", (string?)grant["team"]);
        Assert.Null(grant["user"]);

        (await owner.DeleteAsync($"api/v1/repositories/{name}/-/collaborators/teams/devs")).Expect(HttpStatusCode.NoContent);
        (await dev.GetAsync($"api/v1/repositories/{name}")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Names_with_slashes_route_literally_or_percent_encoded()
    {
        var user = await site.CreateUserAsync();
        var name = $"{user.Name}/deep/er/app";
        await user.CreateRepositoryAsync(name, visibility: "public");

        Assert.Equal(name, (string?)(await user.GetJsonAsync($"api/v1/repositories/{name}"))["name"]);
        Assert.Equal(name, (string?)(await user.GetJsonAsync($"api/v1/repositories/{name.Replace("/", "%2F", StringComparison.Ordinal)}"))["name"]);
        await user.GetJsonAsync($"api/v1/repositories/{name.Replace("/", "%2F", StringComparison.Ordinal)}/-/tags");
        await user.GetJsonAsync($"api/v1/repositories/{name}/-/comments");

        (await user.GetAsync($"api/v1/repositories/{name}/-/nothing")).ExpectProblem(HttpStatusCode.NotFound);
        (await user.GetAsync($"api/v1/repositories/{name}/-/")).ExpectProblem(HttpStatusCode.NotFound);
        (await user.DeleteAsync($"api/v1/repositories/{name}/-/comments/abc")).ExpectProblem(HttpStatusCode.NotFound);
        (await user.GetAsync($"api/v1/repositories/{name}/-/comments/1")).ExpectProblem(HttpStatusCode.MethodNotAllowed);
        var wrongMethod = await user.PostAsync($"api/v1/repositories/{name}/-/tags", new JsonObject());
        wrongMethod.ExpectProblem(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(new[] { "GET" }, wrongMethod.ContentHeaders.Allow);
        (await user.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{name}", new JsonObject { ["visibility"] = 1 })).ExpectProblem(HttpStatusCode.BadRequest);
    }

    private static JsonObject Level(string level) => new() { ["level"] = level };

    private async Task<List<JsonNode>> AuditAsync() => [.. (await site.Admin.GetJsonAsync("api/v1/audit?n=100")).AsArray().Select(e => e!)];

    private static async Task PushAsync(HttpClient registry, string repository, string tag, ImageFixture image)
    {
        foreach (var blob in new[] { image.Config }.Concat(image.Layers))
        {
            var content = new ByteArrayContent(blob.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var pushed = await registry.PostAsync($"v2/{repository}/blobs/uploads/?digest={Uri.EscapeDataString(blob.Digest)}", content);
            Assert.True(pushed.StatusCode == HttpStatusCode.Created, $"blob push → {(int)pushed.StatusCode}: {await pushed.Content.ReadAsStringAsync()}");
        }

        var manifest = new ByteArrayContent(image.Manifest.Bytes);
        manifest.Headers.ContentType = new MediaTypeHeaderValue(image.Manifest.MediaType);
        using var put = await registry.PutAsync($"v2/{repository}/manifests/{tag}", manifest);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"manifest push → {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
    }
}
