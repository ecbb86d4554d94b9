using System.Net;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 8, defect 10: a cross-repository mount under token auth. The challenge of
/// <c>POST /v2/&lt;name&gt;/blobs/uploads/?mount=&amp;from=</c> names the source's pull scope too, so a client that
/// follows challenges gets a token that can mount (201); a caller who may not read the source gets a token naming
/// it with no actions and falls back to a plain upload (202), without a challenge loop.
/// </summary>
public sealed partial class MountChallengeTests(TokenServiceFixture fixture) : IClassFixture<TokenServiceFixture>
{
    private Site Site => fixture.Site;

    [Fact]
    public async Task A_client_following_the_challenge_mounts_from_its_own_repository()
    {
        var alice = fixture.Alice;
        var layer = fixture.Image.Layers[0];
        var target = $"{alice.Name}/mounted";
        var mount = $"v2/{target}/blobs/uploads/?mount={layer.Digest}&from={fixture.AliceRepo}";

        // A token for the target only, as a client has it from earlier requests.
        var token = await alice.IssuedTokenAsync($"repository:{target}:pull,push");
        using (var first = await V2.SendAsync(Site.Http, HttpMethod.Post, mount, token, V2.Octets([])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
            var scopes = Scopes(Expect.Challenge(first));
            Assert.Contains($"repository:{target}:pull,push", scopes);
            Assert.Contains($"repository:{fixture.AliceRepo}:pull", scopes);
            token = await alice.IssuedTokenAsync([.. scopes]);
        }

        using (var second = await V2.SendAsync(Site.Http, HttpMethod.Post, mount, token, V2.Octets([])))
        {
            await Expect.StatusAsync(second, HttpStatusCode.Created);
            Assert.Equal(layer.Digest, second.Headers.GetValues("Docker-Content-Digest").Single());
        }

        var (status, body) = await V2.GetAsync(Site.Http, $"v2/{target}/blobs/{layer.Digest}", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(layer.Bytes, body);
    }

    [Fact]
    public async Task Without_any_token_the_challenge_names_the_source_too()
    {
        var alice = fixture.Alice;
        var target = $"{alice.Name}/mounted-anon";
        using var response = await V2.SendAsync(Site.Http, HttpMethod.Post, $"v2/{target}/blobs/uploads/?mount={fixture.Image.Layers[0].Digest}&from={fixture.AliceRepo}", null, V2.Octets([]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([$"repository:{target}:pull,push", $"repository:{fixture.AliceRepo}:pull"], Scopes(Expect.Challenge(response)));
    }

    [Fact]
    public async Task A_caller_who_may_not_read_the_source_gets_a_plain_upload_not_a_challenge_loop()
    {
        var bob = fixture.Bob;
        var layer = fixture.Image.Layers[0];
        var target = $"{bob.Name}/mine-{Guid.NewGuid():N}"[..(bob.Name!.Length + 10)];
        var mount = $"v2/{target}/blobs/uploads/?mount={layer.Digest}&from={fixture.AliceRepo}";
        var token = await bob.IssuedTokenAsync($"repository:{target}:pull,push");
        using (var first = await V2.SendAsync(Site.Http, HttpMethod.Post, mount, token, V2.Octets([])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
            var scopes = Scopes(Expect.Challenge(first));
            var answer = await bob.TokenAsync([.. scopes]);
            // Alice's private repository is named, with nothing granted: as for a name that does not exist.
            Assert.Contains(answer.Entries, e => e.Name == fixture.AliceRepo && e.Actions.Count == 0);
            token = answer.Token!;
        }

        using (var second = await V2.SendAsync(Site.Http, HttpMethod.Post, mount, token, V2.Octets([])))
        {
            await Expect.StatusAsync(second, HttpStatusCode.Accepted);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await V2.GetAsync(Site.Http, $"v2/{target}/blobs/{layer.Digest}", token)).Status);
    }

    private static List<string> Scopes(string challenge) =>
        ScopeParameter().Match(challenge) is { Success: true } match ? [.. match.Groups[1].Value.Split(' ')] : [];

    [GeneratedRegex("scope=\"([^\"]*)\"")]
    private static partial Regex ScopeParameter();
}
