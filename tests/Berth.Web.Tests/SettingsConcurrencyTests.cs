using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;

namespace Berth.Web.Tests;

/// <summary>
/// Two admins, each signed in in a session of their own, send the same settings form at the same moment: every request
/// gets an answer (no 500), and what is stored afterwards is one of the two wishes, whole, the same on every page and in
/// the API. Several rounds, since a single one may not overlap.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class SettingsConcurrencyTests(WebSite site)
{
    private const int Rounds = 8;

    [Fact]
    public async Task Two_owners_changing_the_same_members_role_at_once_leave_one_role()
    {
        var (first, second, name) = await TwoOwnersAsync();
        var http = site.NewHttpClient();
        var a = await SessionAsync(http, first, $"/u/{name}/-/settings");
        var b = await SessionAsync(http, second, $"/u/{name}/-/settings");
        for (var round = 0; round < Rounds; round++)
        {
            // A user who is not a member yet: both forms add them, with different roles.
            var user = await site.NewUserAsync("member");
            var statuses = await Task.WhenAll(
                PostAsync(http, a, $"/u/{name}/-/settings/members", ("user", user), ("role", "owner")),
                PostAsync(http, b, $"/u/{name}/-/settings/members", ("user", user), ("role", "member")));
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Found, $"round {round}: {string.Join(", ", statuses)}"));
            var members = await MemberListAsync(first, name);
            Assert.Single(members, m => m.Name == user);
            Assert.Contains(members.Single(m => m.Name == user).Role, new[] { "owner", "member" });

            // Both change the role of the same member again, to opposite roles.
            statuses = await Task.WhenAll(
                PostAsync(http, a, $"/u/{name}/-/settings/members", ("user", user), ("role", "member")),
                PostAsync(http, b, $"/u/{name}/-/settings/members", ("user", user), ("role", "owner")));
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Found, $"round {round}: {string.Join(", ", statuses)}"));
            Assert.Single(await MemberListAsync(first, name), m => m.Name == user);
        }
    }

    [Fact]
    public async Task Two_owners_demoting_each_other_at_once_leave_an_owner()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (first, second, name) = await TwoOwnersAsync();
            var http = site.NewHttpClient();
            var a = await SessionAsync(http, first, $"/u/{name}/-/settings");
            var b = await SessionAsync(http, second, $"/u/{name}/-/settings");
            var statuses = await Task.WhenAll(
                PostAsync(http, a, $"/u/{name}/-/settings/members", ("user", second), ("role", "member")),
                PostAsync(http, b, $"/u/{name}/-/settings/members", ("user", first), ("role", "member")));
            var owners = (await MemberListAsync(first, name, asAdmin: true)).Where(m => m.Role == "owner").ToList();
            Assert.True(owners.Count == 1, $"round {round}: answers {string.Join(", ", statuses)}, owners [{string.Join(", ", owners.Select(o => o.Name))}]");

            // One demotion went through; the other was refused, never a 500: as the last owner's (409), or, when the
            // first had already made its sender a member, with the page non-owners get (404).
            Assert.Single(statuses, s => s == HttpStatusCode.Found);
            Assert.Single(statuses, s => s is HttpStatusCode.Conflict or HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Two_admins_changing_visibility_at_once_agree_everywhere_afterwards()
    {
        var owner = await site.NewUserAsync("owner");
        var admin = await site.NewUserAsync("admin");
        var repository = $"{owner}/contested";
        await Settings.PushAsync(site, owner, repository);
        await site.Registry(owner, WebSite.Password).ApiAsync(HttpMethod.Put, $"api/v1/repositories/{repository}/-/collaborators/users/{admin}",
            new JsonObject { ["level"] = "admin" }, HttpStatusCode.NoContent);
        var http = site.NewHttpClient();
        var a = await SessionAsync(http, owner, $"/r/{repository}/-/settings");
        var b = await SessionAsync(http, admin, $"/r/{repository}/-/settings");
        for (var round = 0; round < Rounds; round++)
        {
            var (wishA, wishB) = round % 2 == 0 ? ("public", "private") : ("private", "public");
            var statuses = await Task.WhenAll(
                PostAsync(http, a, $"/r/{repository}/-/settings/visibility", ("visibility", wishA)),
                PostAsync(http, b, $"/r/{repository}/-/settings/visibility", ("visibility", wishB)));
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Found, $"round {round}: {string.Join(", ", statuses)}"));

            var stored = (string?)(await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}"))["visibility"];
            Assert.Contains(stored, new[] { "public", "private" });
            using var anonymous = await http.GetAsync($"/r/{repository}");
            Assert.Equal(stored == "public" ? HttpStatusCode.OK : HttpStatusCode.NotFound, anonymous.StatusCode);
            var search = await (await http.GetAsync($"/search?q=contested")).Content.ReadAsStringAsync();
            Assert.Equal(stored == "public", search.Contains($"/r/{repository}\"", StringComparison.Ordinal));
        }
    }

    private async Task<(string First, string Second, string Organization)> TwoOwnersAsync()
    {
        var first = await site.NewUserAsync("owner");
        var second = await site.NewUserAsync("owner");
        var name = await Settings.NewOrganisationAsync(site, first);
        await site.Registry(first, WebSite.Password).ApiAsync(HttpMethod.Put, $"api/v1/orgs/{name}/members/{second}", new JsonObject { ["role"] = "owner" }, HttpStatusCode.NoContent);
        return (first, second, name);
    }

    private async Task<List<(string Name, string Role)>> MemberListAsync(string user, string organization, bool asAdmin = false)
    {
        var org = asAdmin
            ? await AdminGetAsync($"api/v1/orgs/{organization}")
            : await Settings.GetAsync(site, user, $"api/v1/orgs/{organization}");
        return org["members"]!.AsArray().Select(m => ((string)m!["name"]!, (string)m["role"]!)).ToList();
    }

    private async Task<JsonNode> AdminGetAsync(string path)
    {
        using var response = await site.Registry("admin", WebSite.AdminPassword).SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>A signed-in session and the form token of its settings page.</summary>
    private static async Task<(Dictionary<string, string> Cookies, string Token)> SessionAsync(HttpClient http, string user, string settings)
    {
        var cookies = await Forms.SignInAsync(http, user, WebSite.Password);
        var page = await Forms.GetAsync(http, settings, cookies);
        return (cookies, Forms.Token(page));
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, (Dictionary<string, string> Cookies, string Token) session, string path, params (string Name, string Value)[] fields)
    {
        // Each request gets its own copy of the cookies: the two run at once.
        var cookies = new Dictionary<string, string>(session.Cookies, StringComparer.Ordinal);
        using var response = await Forms.PostAsync(http, path, cookies, [new(Forms.TokenField, session.Token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);
        return response.StatusCode;
    }
}
