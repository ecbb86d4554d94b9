using System.Net;
using System.Text.Json.Nodes;
using Berth.Index.Tests.Support;

namespace Berth.Index.Tests;

public sealed class OrganizationsApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task The_creator_owns_a_new_organisation_and_only_members_see_inside()
    {
        var owner = await site.CreateUserAsync("owner");
        var outsider = await site.CreateUserAsync("out");
        var org = IndexSite.UniqueName("org");

        var created = (await owner.PostAsync("api/v1/orgs", new JsonObject { ["name"] = org, ["description"] = "The team" }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/orgs/{org}", created.Headers.Location?.OriginalString);
        Assert.Equal("owner", (string?)created.Json!["members"]![0]!["role"]);

        var inside = await owner.GetJsonAsync($"api/v1/orgs/{org}");
        Assert.Equal(org, (string?)inside["name"]);
        Assert.Equal("The team", (string?)inside["description"]);
        Assert.False((bool)inside["membersCanCreateRepositories"]!);
        var member = Assert.Single(inside["members"]!.AsArray());
        Assert.Equal(owner.Name, (string?)member!["name"]);
        Assert.Empty(inside["teams"]!.AsArray());

        foreach (var caller in new[] { site.Anonymous, outsider })
        {
            var outside = (await caller.GetJsonAsync($"api/v1/orgs/{org}")).AsObject();
            Assert.Equal(org, (string?)outside["name"]);
            Assert.False(outside.ContainsKey("members"));
            Assert.False(outside.ContainsKey("teams"));
        }

        (await site.Anonymous.GetAsync("api/v1/orgs/no-such-org")).ExpectProblem(HttpStatusCode.NotFound);
        Assert.Contains(await AuditAsync(), e => (string?)e["action"] == "org.created" && (string?)e["target"] == org && (string?)e["actor"] == owner.Name);
    }

    [Fact]
    public async Task Organisation_names_are_namespaces_shared_with_users()
    {
        var user = await site.CreateUserAsync();
        (await site.Anonymous.PostAsync("api/v1/orgs", new JsonObject { ["name"] = IndexSite.UniqueName("org") })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await user.PostAsync("api/v1/orgs", new JsonObject { ["name"] = user.Name })).ExpectProblem(HttpStatusCode.Conflict);
        (await user.PostAsync("api/v1/orgs", new JsonObject { ["name"] = "Not/Valid" })).ExpectProblem(HttpStatusCode.BadRequest);

        var org = IndexSite.UniqueName("org");
        (await user.PostAsync("api/v1/orgs", new JsonObject { ["name"] = org })).Expect(HttpStatusCode.Created);
        (await user.PostAsync("api/v1/orgs", new JsonObject { ["name"] = org })).ExpectProblem(HttpStatusCode.Conflict);
        (await site.Anonymous.PostAsync("api/v1/users", new JsonObject { ["name"] = org, ["password"] = "long-enough" })).ExpectProblem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Owners_manage_members_and_an_organisation_keeps_an_owner()
    {
        var (owner, org) = await CreateOrganizationAsync();
        var alice = await site.CreateUserAsync("alice");
        var bob = await site.CreateUserAsync("bob");

        (await alice.PutAsync($"api/v1/orgs/{org}/members/{bob.Name}", Role("member"))).ExpectProblem(HttpStatusCode.Forbidden);
        (await owner.PutAsync($"api/v1/orgs/{org}/members/{alice.Name}", Role("member"))).Expect(HttpStatusCode.NoContent);
        (await owner.PutAsync($"api/v1/orgs/{org}/members/nobody-here", Role("member"))).ExpectProblem(HttpStatusCode.NotFound);
        (await owner.PutAsync($"api/v1/orgs/{org}/members/{alice.Name}", Role("king"))).ExpectProblem(HttpStatusCode.BadRequest);

        // A plain member sees inside but cannot change anything.
        Assert.Equal(2, (await alice.GetJsonAsync($"api/v1/orgs/{org}"))["members"]!.AsArray().Count);
        (await alice.PutAsync($"api/v1/orgs/{org}/members/{bob.Name}", Role("member"))).ExpectProblem(HttpStatusCode.Forbidden);

        (await owner.PutAsync($"api/v1/orgs/{org}/members/{owner.Name}", Role("member"))).ExpectProblem(HttpStatusCode.Conflict);
        (await owner.DeleteAsync($"api/v1/orgs/{org}/members/{owner.Name}")).ExpectProblem(HttpStatusCode.Conflict);

        (await owner.PutAsync($"api/v1/orgs/{org}/members/{alice.Name}", Role("owner"))).Expect(HttpStatusCode.NoContent);
        (await alice.PutAsync($"api/v1/orgs/{org}/members/{bob.Name}", Role("member"))).Expect(HttpStatusCode.NoContent);
        (await alice.PutAsync($"api/v1/orgs/{org}/members/{owner.Name}", Role("member"))).Expect(HttpStatusCode.NoContent);

        var members = (await alice.GetJsonAsync($"api/v1/orgs/{org}"))["members"]!.AsArray()
            .ToDictionary(m => (string)m!["name"]!, m => (string)m!["role"]!);
        Assert.Equal("owner", members[alice.Name!]);
        Assert.Equal("member", members[owner.Name!]);
        Assert.Equal("member", members[bob.Name!]);

        (await alice.DeleteAsync($"api/v1/orgs/{org}/members/{bob.Name}")).Expect(HttpStatusCode.NoContent);
        (await alice.DeleteAsync($"api/v1/orgs/{org}/members/{bob.Name}")).ExpectProblem(HttpStatusCode.NotFound);
        Assert.False((await bob.GetJsonAsync($"api/v1/orgs/{org}")).AsObject().ContainsKey("members"));

        Assert.Contains(await AuditAsync(), e => (string?)e["action"] == "org.member.changed" && (string?)e["target"] == org);
    }

    [Fact]
    public async Task Teams_take_members_who_become_organisation_members()
    {
        var (owner, org) = await CreateOrganizationAsync();
        var carol = await site.CreateUserAsync("carol");

        (await carol.PostAsync($"api/v1/orgs/{org}/teams", new JsonObject { ["name"] = "devs" })).ExpectProblem(HttpStatusCode.Forbidden);
        var team = (await owner.PostAsync($"api/v1/orgs/{org}/teams", new JsonObject { ["name"] = "devs" })).Expect(HttpStatusCode.Created).Json!;
        Assert.Equal("devs", (string?)team["name"]);
        (await owner.PostAsync($"api/v1/orgs/{org}/teams", new JsonObject { ["name"] = "devs" })).ExpectProblem(HttpStatusCode.Conflict);
        (await owner.PostAsync($"api/v1/orgs/{org}/teams", new JsonObject { ["name"] = "Bad Team" })).ExpectProblem(HttpStatusCode.BadRequest);

        (await owner.PutAsync($"api/v1/orgs/{org}/teams/devs/members/{carol.Name}")).Expect(HttpStatusCode.NoContent);
        (await owner.PutAsync($"api/v1/orgs/{org}/teams/nope/members/{carol.Name}")).ExpectProblem(HttpStatusCode.NotFound);

        var inside = await carol.GetJsonAsync($"api/v1/orgs/{org}");
        Assert.Contains(inside["members"]!.AsArray(), m => (string?)m!["name"] == carol.Name && (string?)m["role"] == "member");
        var devs = Assert.Single(inside["teams"]!.AsArray());
        Assert.Equal("devs", (string?)devs!["name"]);
        Assert.Equal(new[] { carol.Name }, devs["members"]!.AsArray().Select(m => (string?)m));

        (await owner.DeleteAsync($"api/v1/orgs/{org}/teams/devs/members/{carol.Name}")).Expect(HttpStatusCode.NoContent);
        (await owner.DeleteAsync($"api/v1/orgs/{org}/teams/devs/members/{carol.Name}")).ExpectProblem(HttpStatusCode.NotFound);
        Assert.Empty((await owner.GetJsonAsync($"api/v1/orgs/{org}"))["teams"]![0]!["members"]!.AsArray());

        // Leaving the organisation leaves its teams.
        (await owner.PutAsync($"api/v1/orgs/{org}/teams/devs/members/{carol.Name}")).Expect(HttpStatusCode.NoContent);
        (await owner.DeleteAsync($"api/v1/orgs/{org}/members/{carol.Name}")).Expect(HttpStatusCode.NoContent);
        Assert.Empty((await owner.GetJsonAsync($"api/v1/orgs/{org}"))["teams"]![0]!["members"]!.AsArray());

        var audit = await AuditAsync();
        Assert.Contains(audit, e => (string?)e["action"] == "team.created" && (string?)e["target"] == $"{org}/devs");
        Assert.Contains(audit, e => (string?)e["action"] == "team.member.changed" && (string?)e["target"] == $"{org}/devs");
    }

    [Fact]
    public async Task Members_create_repositories_only_when_the_organisation_allows_it()
    {
        var owner = await site.CreateUserAsync("owner");
        var member = await site.CreateUserAsync("member");
        var closed = IndexSite.UniqueName("closed");
        var open = IndexSite.UniqueName("open");
        (await owner.PostAsync("api/v1/orgs", new JsonObject { ["name"] = closed })).Expect(HttpStatusCode.Created);
        (await owner.PostAsync("api/v1/orgs", new JsonObject { ["name"] = open, ["membersCanCreateRepositories"] = true })).Expect(HttpStatusCode.Created);
        foreach (var org in new[] { closed, open })
        {
            (await owner.PutAsync($"api/v1/orgs/{org}/members/{member.Name}", Role("member"))).Expect(HttpStatusCode.NoContent);
        }

        (await member.PostAsync("api/v1/repositories", new JsonObject { ["name"] = $"{closed}/app" })).ExpectProblem(HttpStatusCode.Forbidden);
        var repository = await member.CreateRepositoryAsync($"{open}/app");
        Assert.Equal(open, (string?)repository["namespace"]);
        Assert.Equal("admin", (string?)repository["permission"]);
        await owner.CreateRepositoryAsync($"{closed}/app");
    }

    private async Task<(ApiCaller Owner, string Org)> CreateOrganizationAsync()
    {
        var owner = await site.CreateUserAsync("owner");
        var org = IndexSite.UniqueName("org");
        (await owner.PostAsync("api/v1/orgs", new JsonObject { ["name"] = org })).Expect(HttpStatusCode.Created);
        return (owner, org);
    }

    private static JsonObject Role(string role) => new() { ["role"] = role };

    private async Task<List<JsonNode>> AuditAsync() => [.. (await site.Admin.GetJsonAsync("api/v1/audit?n=100")).AsArray().Select(e => e!)];
}
