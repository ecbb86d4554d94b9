using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 8, defect 2: a user's and an organisation's names are one namespace. Sign-up (bcrypt between its check and
/// its insert) raced with organisation creation under the same name gave 201 twice, and the user then administered
/// the organisation's private repositories, because permissions compared names. Now exactly one wins, every time.
/// </summary>
public sealed class NamespaceRaceTests : IAsyncLifetime
{
    private const int Rounds = 8;

    private Site _site = null!;

    public async Task InitializeAsync() =>
        // A realistic bcrypt cost: it is what held the old check-then-insert window open.
        _site = await Site.StartAsync(["--Berth:BcryptWorkFactor", "10"]);

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task Sign_up_and_organisation_creation_racing_for_one_name_give_exactly_one_201()
    {
        var founder = await _site.CreateUserAsync("founder");
        // Connections and credentials warmed up, so both requests of a round reach the server together.
        using (var warm = await founder.SendAsync(HttpMethod.Get, "api/v1/user"))
        {
            await Expect.StatusAsync(warm, HttpStatusCode.OK);
        }

        using (var warm = await _site.Admin.SendAsync(HttpMethod.Get, "api/v1/user"))
        {
            await Expect.StatusAsync(warm, HttpStatusCode.OK);
        }

        for (var round = 0; round < Rounds; round++)
        {
            var name = $"race{round}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
            var signUp = _site.Admin.SendAsync(HttpMethod.Post, "api/v1/users", new JsonObject { ["name"] = name, ["password"] = Site.UserPassword });
            var organisation = founder.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = name });
            using var user = await signUp;
            using var org = await organisation;
            await Expect.StatusAsync(user, HttpStatusCode.Created, HttpStatusCode.Conflict);
            await Expect.StatusAsync(org, HttpStatusCode.Created, HttpStatusCode.Conflict);
            if (user.StatusCode == HttpStatusCode.Created && org.StatusCode == HttpStatusCode.Created)
            {
                // Both exist (the defect): at least the organisation's private repository must stay closed to the account.
                await AssertClosedToAccountAsync(founder, name);
            }

            Assert.True(
                (user.StatusCode == HttpStatusCode.Created) != (org.StatusCode == HttpStatusCode.Created),
                $"round {round}: sign-up answered {(int)user.StatusCode}, organisation creation {(int)org.StatusCode}");

            // Whoever lost, the name stays taken for the other kind too.
            using var later = user.StatusCode == HttpStatusCode.Created
                ? await founder.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = name })
                : await _site.Admin.SendAsync(HttpMethod.Post, "api/v1/users", new JsonObject { ["name"] = name, ["password"] = Site.UserPassword });
            await Expect.StatusAsync(later, HttpStatusCode.Conflict);
        }
    }

    private async Task AssertClosedToAccountAsync(Actor founder, string name)
    {
        var repo = $"{name}/secret";
        using (var created = await founder.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = repo, ["visibility"] = "private" }))
        {
            await Expect.StatusAsync(created, HttpStatusCode.Created);
        }

        var account = _site.As(name, Site.UserPassword);
        Assert.Empty((await account.TokenAsync($"repository:{repo}:pull,push,delete")).Access);
        using var read = await account.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }
}
