using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// <c>/orgs/new</c> and <c>/u/{org}/-/settings</c>: an owner creates an organisation and manages members, roles, teams
/// and team permissions in the browser (each change read back over the REST API); nobody else can tell the settings
/// from an absent page, nor change anything with a form of their own.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class OrganisationPagesTests(WebSite site)
{
    [Fact]
    public async Task An_owner_creates_an_organisation_and_manages_members_roles_teams_and_permissions()
    {
        var owner = await site.NewUserAsync("owner");
        var carol = await site.NewUserAsync("carol");
        var name = $"acme{Guid.NewGuid().ToString("N")[..6]}";
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, owner);

        // Create: the form leads to the settings, the creator is the owner.
        await page.GotoAsync($"/u/{owner}");
        await page.ClickAsync("text=Create an organisation");
        await page.FillAsync("#org-name", name);
        await page.FillAsync("#org-description", "Rockets and anvils");
        await page.ClickAsync("main form button[type=submit]");
        Assert.EndsWith($"/u/{name}/-/settings", page.Url, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { [owner] = "owner" }, await Settings.MembersAsync(site, owner, name));

        // A taken name is refused on the form, with the reason.
        await page.GotoAsync("/orgs/new");
        await page.FillAsync("#org-name", name);
        await page.ClickAsync("main form button[type=submit]");
        await Assertions.Expect(page.Locator("main .error")).ToContainTextAsync("taken");

        // Members: add, change role, remove.
        await page.GotoAsync($"/u/{name}/-/settings");
        await page.FillAsync("#member-user", carol);
        await page.ClickAsync("text=Add member");
        Assert.Equal("member", (await Settings.MembersAsync(site, owner, name))[carol]);
        await page.SelectOptionAsync($"select[aria-label='Role of {carol}']", "owner");
        await page.ClickAsync($"button[aria-label='Change the role of {carol}']");
        Assert.Equal("owner", (await Settings.MembersAsync(site, owner, name))[carol]);
        await page.ClickAsync($"button[aria-label='Remove {carol} from {name}']");
        Assert.False((await Settings.MembersAsync(site, owner, name)).ContainsKey(carol));

        // The last owner stays: demoting oneself is refused with the service's reason, and nothing changes.
        await page.SelectOptionAsync($"select[aria-label='Role of {owner}']", "member");
        await page.ClickAsync($"button[aria-label='Change the role of {owner}']");
        await Assertions.Expect(page.Locator("main .error")).ToContainTextAsync("at least one owner");
        Assert.Equal("owner", (await Settings.MembersAsync(site, owner, name))[owner]);

        // Teams: create, add a member (who joins the organisation), remove them.
        await page.FillAsync("#team-name", "builders");
        await page.ClickAsync("text=Create team");
        await page.FillAsync("#team-builders-user", carol);
        await page.ClickAsync("#team-builders button[type=submit]:has-text('Add')");
        var org = await Settings.GetAsync(site, owner, $"api/v1/orgs/{name}");
        Assert.Equal([carol], org["teams"]!.AsArray().Single(t => (string?)t!["name"] == "builders")!["members"]!.AsArray().Select(m => (string)m!));
        Assert.Equal("member", (await Settings.MembersAsync(site, owner, name))[carol]);
        await page.ClickAsync($"button[aria-label='Remove {carol} from team builders']");
        org = await Settings.GetAsync(site, owner, $"api/v1/orgs/{name}");
        Assert.Empty(org["teams"]!.AsArray().Single(t => (string?)t!["name"] == "builders")!["members"]!.AsArray());

        // Team permissions on the organisation's repository: grant write, change to read, revoke.
        var repository = $"{name}/app";
        await Settings.PushAsync(site, owner, repository);
        await page.GotoAsync($"/u/{name}/-/settings");
        await page.SelectOptionAsync("#grant-team", "builders");
        await page.SelectOptionAsync("#grant-repository", repository);
        await page.SelectOptionAsync("#grant-level", "write");
        await page.ClickAsync("text=Grant");
        Assert.Equal("write", await TeamLevelAsync(owner, repository, "builders"));
        await Assertions.Expect(page.Locator("section[aria-labelledby=permissions] tbody tr")).ToContainTextAsync("write");
        await page.SelectOptionAsync("#grant-level", "read");
        await page.ClickAsync("text=Grant");
        Assert.Equal("read", await TeamLevelAsync(owner, repository, "builders"));
        await page.ClickAsync($"button[aria-label='Revoke builders on {repository}']");
        Assert.Null(await TeamLevelAsync(owner, repository, "builders"));

        // The organisation's page links to the settings for its owner.
        await page.GotoAsync($"/u/{name}");
        await Assertions.Expect(page.Locator($"main a[href='/u/{name}/-/settings']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_settings_are_the_absent_page_for_everyone_but_owners_and_their_forms_change_nothing()
    {
        var owner = await site.NewUserAsync("owner");
        var member = await site.NewUserAsync("member");
        var outsider = await site.NewUserAsync("outsider");
        var name = await Settings.NewOrganisationAsync(site, owner);
        await site.Registry(owner, WebSite.Password).ApiAsync(HttpMethod.Put, $"api/v1/orgs/{name}/members/{member}", new JsonObject { ["role"] = "member" }, HttpStatusCode.NoContent);
        var http = site.NewHttpClient();
        var absent = await Forms.GetAsync(http, "/u/no-such-org/-/settings", []);

        var visitors = new Dictionary<string, Dictionary<string, string>>
        {
            ["anonymous"] = [],
            [member] = await Forms.SignInAsync(http, member, WebSite.Password),
            [outsider] = await Forms.SignInAsync(http, outsider, WebSite.Password),
        };
        foreach (var (who, cookies) in visitors)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/u/{name}/-/settings");
            if (cookies.Count > 0)
            {
                get.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            using var response = await http.SendAsync(get);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{who}: {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(MainOf(await Forms.GetAsync(http, "/u/no-such-org/-/settings", cookies)), MainOf(body));
            Assert.DoesNotContain(name + "/-/settings\"", await Forms.GetAsync(http, $"/u/{name}", cookies), StringComparison.Ordinal);
            if (who == "anonymous")
            {
                continue;
            }

            // A signed-in non-owner's own valid form token: still the absent page, and the membership is as it was.
            var token = Forms.Token(await Forms.GetAsync(http, $"/u/{who}", cookies));
            using var post = await Forms.PostAsync(http, $"/u/{name}/-/settings/members", cookies,
                [new(Forms.TokenField, token), new("user", who), new("role", "owner")]);
            Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"{who} POST: {(int)post.StatusCode}");
        }

        Assert.Equal(new Dictionary<string, string> { [owner] = "owner", [member] = "member" }, await Settings.MembersAsync(site, owner, name));
        Assert.Contains("Not found", absent, StringComparison.Ordinal);
    }

    private async Task<string?> TeamLevelAsync(string owner, string repository, string team)
    {
        var grants = await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}/-/collaborators");
        return grants.AsArray().Where(g => (string?)g!["team"] == team).Select(g => (string?)g!["level"]).SingleOrDefault();
    }

    /// <summary>The page's main element: the header differs by who is signed in, the answer must not.</summary>
    private static string MainOf(string html)
    {
        var start = html.IndexOf("<main", StringComparison.Ordinal);
        var end = html.IndexOf("</main>", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "no main element");
        return html[start..end];
    }
}
