using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 8, defect 14: <c>docker search</c>, once logged in, sends the registry token it got from <c>/token</c> as
/// Bearer to <c>/v1/search</c>. A genuine token stands for its subject there (read only); forged or altered ones are 401.
/// </summary>
public sealed class RegistryTokenSearchTests
{
    [Fact]
    public async Task Docker_search_with_a_registry_token_sees_what_its_subject_may_read()
    {
        await using var site = await Site.StartAsync();
        var alice = await site.CreateUserAsync("alice");
        var bob = await site.CreateUserAsync("bob");
        var repository = $"{alice.Name}/hidden-app";
        await V2.PushImageAsync(alice.Registry, repository, new ImageFactory().CreateImage(layers: 1), "v1");

        // What docker asks /token for before searching.
        var aliceToken = await alice.IssuedTokenAsync("registry:catalog:search");
        Assert.Contains(repository, await SearchAsync(site, aliceToken));

        // Anonymous, and another user's genuine token, do not see the private repository.
        Assert.DoesNotContain(repository, await SearchAsync(site, null));
        Assert.DoesNotContain(repository, await SearchAsync(site, await bob.IssuedTokenAsync("registry:catalog:search")));

        // Forged (another key), expired, altered (alice's signature over changed claims) and unsigned tokens are refused.
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = (string?)Jwt.Header(aliceToken)["kid"];
        var claims = Jwt.Claims(alice.Name!, []);
        await ExpectUnauthorizedAsync(site, Jwt.SignEs256(claims, forger, kid));
        var expired = Jwt.Claims(alice.Name!, [], now: DateTimeOffset.UtcNow.AddHours(-1));
        await ExpectUnauthorizedAsync(site, Jwt.SignEs256(expired, forger, kid));
        var parts = aliceToken.Split('.');
        var payload = Jwt.Payload(aliceToken).AsObject();
        payload["exp"] = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        await ExpectUnauthorizedAsync(site, $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}");
        await ExpectUnauthorizedAsync(site, Jwt.Unsigned(claims, kid));

        // The registry token is accepted on /v1/search only: it is not a credential for the rest of the API.
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", aliceToken);
        using var response = await site.Http.SendAsync(request);
        await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
    }

    private static async Task<IReadOnlyList<string>> SearchAsync(Site site, string? token)
    {
        using var response = await Send(site, token);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        var json = await Json.ReadAsync(response);
        return [.. json["results"]!.AsArray().Select(r => (string)r!["name"]!)];
    }

    private static async Task ExpectUnauthorizedAsync(Site site, string token)
    {
        using var response = await Send(site, token);
        await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
    }

    private static async Task<HttpResponseMessage> Send(Site site, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/search?q=hidden-app&n=100");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await site.Http.SendAsync(request);
    }
}
