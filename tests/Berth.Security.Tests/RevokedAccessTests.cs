using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>One all-in-one token-auth Berth shared by the tests below.</summary>
public sealed class RevokedAccessFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public async Task InitializeAsync() => Site = await Site.StartAsync();

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>
/// A registry token's <c>access</c> claim was decided when it was issued and lives five minutes. Rights taken away in
/// the meantime must stop it at once: the registry asks what the holder may do now on every request, and grants only
/// what both the claim and today's rows allow.
/// </summary>
public sealed class RevokedAccessTests(RevokedAccessFixture fixture) : IClassFixture<RevokedAccessFixture>
{
    private readonly ImageFactory _factory = new();

    private Site Site => fixture.Site;

    [Fact]
    public async Task A_repository_made_private_no_longer_reads_with_an_anonymous_token_taken_while_it_was_public()
    {
        var (owner, repo, image) = await PushedAsync("public");
        var token = await Site.Anonymous.IssuedTokenAsync($"repository:{repo}:pull");
        await AssertReadsAsync(token, repo, image, HttpStatusCode.OK);

        await SetVisibilityAsync(owner, repo, "private");

        await AssertReadsAsync(token, repo, image, HttpStatusCode.Unauthorized);
        // The owner's own token still reads: the check takes away only what was taken away.
        await AssertReadsAsync(await owner.IssuedTokenAsync($"repository:{repo}:pull"), repo, image, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_removed_collaborator_can_neither_read_nor_push_with_a_token_taken_before()
    {
        var (owner, repo, image) = await PushedAsync("private");
        var member = await Site.CreateUserAsync("collab");
        await SetCollaboratorAsync(owner, repo, member, "write");
        var token = await member.IssuedTokenAsync($"repository:{repo}:pull,push");
        await AssertReadsAsync(token, repo, image, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Created, await V2.TryPushImageAsync(Site.Http, repo, _factory.CreateImage(layers: 1), "by-member", token));

        using (var removed = await owner.SendAsync(HttpMethod.Delete, $"api/v1/repositories/{repo}/-/collaborators/users/{member.Name}"))
        {
            await Expect.StatusAsync(removed, HttpStatusCode.NoContent);
        }

        await AssertReadsAsync(token, repo, image, HttpStatusCode.Unauthorized);
        var late = _factory.CreateImage(layers: 1);
        Assert.Equal(HttpStatusCode.Unauthorized, await V2.TryPushImageAsync(Site.Http, repo, late, "late", token));
        using var moved = await V2.SendAsync(Site.Http, HttpMethod.Put, $"v2/{repo}/manifests/v1", token, V2.ManifestContent(late.Manifest));
        Assert.Equal(HttpStatusCode.Unauthorized, moved.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Expect.Challenge(moved), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collaborator_lowered_to_read_keeps_pulling_but_no_longer_pushes_with_the_same_token()
    {
        var (owner, repo, image) = await PushedAsync("private");
        var member = await Site.CreateUserAsync("collab");
        await SetCollaboratorAsync(owner, repo, member, "write");
        var token = await member.IssuedTokenAsync($"repository:{repo}:pull,push");

        await SetCollaboratorAsync(owner, repo, member, "read");

        await AssertReadsAsync(token, repo, image, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, await V2.PushBlobAsync(Site.Http, repo, _factory.CreateImage(layers: 1).Layers[0], token));
    }

    private async Task<(Actor Owner, string Repo, ImageFixture Image)> PushedAsync(string visibility)
    {
        var owner = await Site.CreateUserAsync("owner");
        var repo = $"{owner.Name}/app";
        var image = _factory.CreateImage(layers: 1);
        await V2.PushImageAsync(Site.Http, repo, image, "v1", await owner.IssuedTokenAsync($"repository:{repo}:pull,push"));
        await SetVisibilityAsync(owner, repo, visibility);
        return (owner, repo, image);
    }

    private static async Task SetVisibilityAsync(Actor owner, string repo, string visibility)
    {
        using var response = await owner.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = visibility });
        await Expect.StatusAsync(response, HttpStatusCode.OK);
    }

    private static async Task SetCollaboratorAsync(Actor owner, string repo, Actor member, string level)
    {
        using var response = await owner.SendAsync(HttpMethod.Put, $"api/v1/repositories/{repo}/-/collaborators/users/{member.Name}", new JsonObject { ["level"] = level });
        await Expect.StatusAsync(response, HttpStatusCode.NoContent);
    }

    /// <summary>Manifest by tag, the layer and the tag list all answer <paramref name="expected"/> with <paramref name="token"/>.</summary>
    private async Task AssertReadsAsync(string token, string repo, ImageFixture image, HttpStatusCode expected)
    {
        foreach (var path in new[] { $"v2/{repo}/manifests/v1", $"v2/{repo}/blobs/{image.Layers[0].Digest}", $"v2/{repo}/tags/list" })
        {
            var (status, body) = await V2.GetAsync(Site.Http, path, token);
            Assert.True(status == expected, $"GET {path} answered {(int)status}, expected {(int)expected}");
            if (path.Contains("/blobs/", StringComparison.Ordinal) && expected == HttpStatusCode.OK)
            {
                Assert.Equal(image.Layers[0].Bytes, body);
            }
        }
    }
}
