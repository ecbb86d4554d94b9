using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests;

/// <summary>One all-in-one token-auth Berth with an organisation whose members may create repositories.</summary>
public sealed class StaleCreateGrantFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public Actor Owner { get; private set; } = null!;

    public Actor Member { get; private set; } = null!;

    public string Org { get; } = $"acme{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync();
        (Owner, Member) = await CreateGrantScenario.SetUpAsync(Site, Org);
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// Issue 8, defect 1: a grant asked for on a repository name before it exists must not carry over to the repository
/// someone else creates under that name. The member of <c>acme</c> (members may create) takes a token for
/// <c>acme/prod:pull,push,delete</c>; the owner then pushes a private <c>acme/prod</c>; with the old token the member
/// must read nothing, push nothing and not become a collaborator. A member who creates a repository is its admin.
/// </summary>
public sealed class StaleCreateGrantTests(StaleCreateGrantFixture fixture, ITestOutputHelper output) : IClassFixture<StaleCreateGrantFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    private Site Site => fixture.Site;

    [Fact]
    public async Task A_token_taken_before_the_owner_created_the_repository_opens_nothing_in_it()
    {
        await CreateGrantScenario.AttackAsync(Site.Http, fixture.Owner, fixture.Member, $"{fixture.Org}/prod", _factory, TimeSpan.Zero);
    }

    [Fact]
    public async Task A_member_who_creates_a_repository_by_pushing_with_skopeo_administers_it()
    {
        var repo = $"{fixture.Org}/new-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
        var member = fixture.Member;
        var image = _factory.CreateImage(layers: 2);
        var remote = $"docker://{Site.HostPort}/{repo}:v1";
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", $"{member.Name}:{member.Secret}",
            _tools.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        // The index makes the creator admin when the push event reaches it (from the outbox, just after the push);
        // until then a new token of a member who is not an owner grants nothing on the new repository.
        await Eventually.JsonAsync(member, $"api/v1/repositories/{repo}", d => (string?)d["permission"] == "admin");

        // The creator reads it back and administers it, in the index as in the registry.
        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", $"{member.Name}:{member.Secret}", remote, back.Reference("v1"))).EnsureSuccess();
        Clients.AssertHoldsExactly(back, "v1", image);
        Assert.Contains(await CreateGrantScenario.CollaboratorsAsync(member, repo), c => c == (member.Name, "admin"));
        Assert.Equal(["delete", "pull", "push"], (await member.TokenAsync($"repository:{repo}:pull,push,delete")).ActionsOn(repo));

        // Another member's skopeo cannot push into what the first one created.
        var other = await Site.CreateUserAsync("member2");
        await CreateGrantScenario.JoinAsync(fixture.Owner, fixture.Org, other);
        var intruder = await _tools.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{other.Name}:{other.Secret}",
            _tools.NewLayout((_factory.CreateImage(layers: 1), "x")).Reference("x"), $"docker://{Site.HostPort}/{repo}:evil");
        output.WriteLine($"skopeo push by another member: {Clients.AssertRefused(intruder)}");
    }

    public void Dispose() => _tools.Dispose();
}

/// <summary>The same attack and the creator's path when the registry is a separate process reporting to the index.</summary>
public sealed class SplitStaleCreateGrantTests(SplitDeploymentFixture fixture) : IClassFixture<SplitDeploymentFixture>
{
    private static readonly TimeSpan PropagationLimit = TimeSpan.FromSeconds(20);

    private readonly string _org = $"acme{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    private readonly ImageFactory _factory = new();

    private Site Index => fixture.Index;

    private RegistryServer Registry => fixture.Registry;

    [Fact]
    public async Task In_a_split_deployment_an_old_create_grant_opens_nothing_and_the_creator_administers_what_they_create()
    {
        var (owner, member) = await CreateGrantScenario.SetUpAsync(Index, _org);
        using var registry = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = Registry.BaseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        await CreateGrantScenario.AttackAsync(registry, owner, member, $"{_org}/prod", _factory, PropagationLimit);

        // The member creates a repository through the registry; the index hears of it and makes them its admin.
        var repo = $"{_org}/new";
        using var memberRegistry = new HttpClient(new TokenAuthHandler(member.Name, member.Secret)) { BaseAddress = Registry.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        await V2.PushImageAsync(memberRegistry, repo, _factory.CreateImage(layers: 1), "v1");
        var deadline = DateTime.UtcNow + PropagationLimit;
        var collaborators = new List<(string?, string?)>();
        while (DateTime.UtcNow < deadline && !collaborators.Contains((member.Name, "admin")))
        {
            await Task.Delay(100);
            using var probe = await member.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}/-/collaborators");
            if (probe.StatusCode == HttpStatusCode.OK)
            {
                collaborators = await CreateGrantScenario.CollaboratorsAsync(member, repo);
            }
        }

        Assert.Contains((member.Name, "admin"), collaborators);
    }
}

/// <summary>The steps both deployments share.</summary>
internal static class CreateGrantScenario
{
    /// <summary>An owner with an organisation where members may create repositories, and one member.</summary>
    public static async Task<(Actor Owner, Actor Member)> SetUpAsync(Site site, string org)
    {
        var owner = await site.CreateUserAsync("owner");
        var member = await site.CreateUserAsync("member");
        using (var created = await owner.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = org, ["membersCanCreateRepositories"] = true }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        await JoinAsync(owner, org, member);
        return (owner, member);
    }

    public static async Task JoinAsync(Actor owner, string org, Actor member)
    {
        using var joined = await owner.SendAsync(HttpMethod.Put, $"api/v1/orgs/{org}/members/{member.Name}", new JsonObject { ["role"] = "member" });
        await Expect.StatusAsync(joined, HttpStatusCode.NoContent);
    }

    /// <summary>
    /// The attack of issue 8, defect 1, against <paramref name="registry"/> (the site itself or a separate registry):
    /// the member's token for the free name, the owner's private push, then every use of the old token.
    /// <paramref name="propagation"/>: how long the index may take to learn of the owner's push (zero: in process).
    /// </summary>
    public static async Task AttackAsync(HttpClient registry, Actor owner, Actor member, string repo, ImageFactory factory, TimeSpan propagation)
    {
        var early = await member.TokenAsync($"repository:{repo}:pull,push,delete");
        Assert.Equal(HttpStatusCode.OK, early.Status);
        // Nothing to pull or delete yet; push only as the right to create it, re-checked by the registry.
        Assert.Equal(["push"], early.ActionsOn(repo));
        Assert.Equal([repo], early.Creatable);
        var token = early.Token!;
        var earlyPull = await member.TokenAsync($"repository:{repo}:pull");
        Assert.Empty(earlyPull.Access);

        using var ownerRegistry = new HttpClient(new TokenAuthHandler(owner.Name, owner.Secret)) { BaseAddress = registry.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var secret = factory.CreateImage(layers: 1);
        await V2.PushImageAsync(ownerRegistry, repo, secret, "v1");
        await WaitForRepositoryAsync(owner, repo, propagation);
        using (var visibility = await owner.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = "private" }))
        {
            await Expect.StatusAsync(visibility, HttpStatusCode.OK);
        }

        // Reads: manifest by tag and digest, config and layer, tag list.
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, $"v2/{repo}/manifests/v1"),
            (HttpMethod.Head, $"v2/{repo}/manifests/{secret.Manifest.Digest}"),
            (HttpMethod.Get, $"v2/{repo}/blobs/{secret.Layers[0].Digest}"),
            (HttpMethod.Get, $"v2/{repo}/blobs/{secret.Config.Digest}"),
            (HttpMethod.Get, $"v2/{repo}/tags/list"),
        })
        {
            using var response = await V2.SendAsync(registry, method, path, token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with the old token answered {(int)response.StatusCode}");
            Assert.Contains("error=\"insufficient_scope\"", Expect.Challenge(response), StringComparison.Ordinal);
            if (method == HttpMethod.Get)
            {
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.True(body.AsSpan().IndexOf(secret.Layers[0].Bytes.AsSpan(0, 32)) < 0);
            }
        }

        using (var pull = await V2.SendAsync(registry, HttpMethod.Get, $"v2/{repo}/manifests/v1", earlyPull.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, pull.StatusCode);
        }

        // Writes: a tag on the owner's manifest, a new blob, a delete.
        using (var tag = await V2.SendAsync(registry, HttpMethod.Put, $"v2/{repo}/manifests/evil", token, V2.ManifestContent(secret.Manifest)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tag.StatusCode);
        }

        var planted = factory.CreateImage(layers: 1);
        Assert.Equal(HttpStatusCode.Unauthorized, await V2.PushBlobAsync(registry, repo, planted.Layers[0], token));
        using (var delete = await V2.SendAsync(registry, HttpMethod.Delete, $"v2/{repo}/manifests/{secret.Manifest.Digest}", token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        }

        // Following the challenge gets a token decided on today's permissions: nothing.
        using var memberRegistry = new HttpClient(new TokenAuthHandler(member.Name, member.Secret)) { BaseAddress = registry.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await V2.GetAsync(memberRegistry, $"v2/{repo}/manifests/v1")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await V2.TryPushImageAsync(memberRegistry, repo, planted, "evil"));

        // The repository is as the owner left it, and the member is no collaborator of it.
        var (status, tags) = await V2.GetAsync(ownerRegistry, $"v2/{repo}/tags/list");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["v1"], JsonNode.Parse(tags)!["tags"]!.AsArray().Select(t => (string)t!));
        Assert.DoesNotContain(await CollaboratorsAsync(owner, repo), c => c.User == member.Name);
        using var hidden = await member.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    /// <summary>The users among a repository's collaborators, with their levels, as its admin <paramref name="caller"/> sees them.</summary>
    public static async Task<List<(string? User, string? Level)>> CollaboratorsAsync(Actor caller, string repo)
    {
        var list = await caller.GetJsonAsync($"api/v1/repositories/{repo}/-/collaborators");
        return list.AsArray().Where(c => c!["user"] is not null).Select(c => ((string?)c!["user"], (string?)c["level"])).ToList();
    }

    private static async Task WaitForRepositoryAsync(Actor owner, string repo, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            using var response = await owner.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}");
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow >= deadline)
            {
                await Expect.StatusAsync(response, HttpStatusCode.OK);
                return;
            }

            await Task.Delay(100);
        }
    }
}
