using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// <c>/r/{name}/-/settings</c>: an admin changes visibility, description and collaborators and deletes the repository
/// by typing its name (each change read back over the REST API or on the pages it affects); for everyone else the
/// settings are the absent repository's page and their forms change nothing.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class RepositorySettingsTests(WebSite site)
{
    [Fact]
    public async Task An_admin_changes_description_visibility_and_collaborators_and_deletes_only_with_the_full_name()
    {
        var owner = await site.NewUserAsync("owner");
        var carol = await site.NewUserAsync("carol");
        var repository = $"{owner}/tools";
        await Settings.PushAsync(site, owner, repository);
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, owner);

        // From the repository page to its settings.
        await page.GotoAsync($"/r/{repository}");
        await page.ClickAsync("main a:text-is('Settings')");
        Assert.EndsWith($"/r/{repository}/-/settings", page.Url, StringComparison.Ordinal);

        // Description: Markdown, rendered on the repository page.
        await page.FillAsync("#description-text", "## Tools\n\nHammers, **saws** and <b>raw</b> html.");
        await page.ClickAsync("text=Save description");
        await page.GotoAsync($"/r/{repository}");
        await Assertions.Expect(page.Locator("section[aria-labelledby=about] strong")).ToHaveTextAsync("saws");
        await Assertions.Expect(page.Locator("section[aria-labelledby=about]")).ToContainTextAsync("<b>raw</b>");

        // Visibility: private, then an anonymous visitor gets the absent page.
        await page.GotoAsync($"/r/{repository}/-/settings");
        await page.CheckAsync("input[name=visibility][value=private]");
        await page.ClickAsync("text=Save visibility");
        Assert.Equal("private", (string?)(await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}"))["visibility"]);
        await Assertions.Expect(page.Locator("input[name=visibility][value=private]")).ToBeCheckedAsync();
        using (var anonymous = await site.NewHttpClient().GetAsync($"/r/{repository}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        }

        // Collaborators: add with write, change to read, remove.
        await page.FillAsync("#collaborator-user", carol);
        await page.SelectOptionAsync("#collaborator-level", "write");
        await page.ClickAsync("text=Add collaborator");
        Assert.Equal("write", await UserLevelAsync(owner, repository, carol));
        await page.SelectOptionAsync($"select[aria-label='Permission of {carol}']", "read");
        await page.ClickAsync($"button[aria-label='Change the permission of {carol}']");
        Assert.Equal("read", await UserLevelAsync(owner, repository, carol));
        await page.ClickAsync($"button[aria-label='Remove {carol}']");
        Assert.Null(await UserLevelAsync(owner, repository, carol));

        // An unknown user is refused with the service's reason.
        await page.FillAsync("#collaborator-user", "no-such-user-here");
        await page.ClickAsync("text=Add collaborator");
        await Assertions.Expect(page.Locator("main .error")).ToContainTextAsync("no-such-user-here");

        // Delete: a wrong or partial name deletes nothing; the full name does.
        foreach (var wrong in new[] { "tools", $"{owner}/tool", $"{repository} " })
        {
            await page.GotoAsync($"/r/{repository}/-/settings");
            await page.FillAsync("#delete-confirm", wrong);
            var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync($"text=Delete {repository}"), r => r.Request.Method == "POST");
            Assert.Equal(400, refused.Status);
            await Assertions.Expect(page.Locator("main .error")).ToContainTextAsync("Nothing was deleted");
            await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}");
        }

        await page.FillAsync("#delete-confirm", repository);
        await page.ClickAsync($"text=Delete {repository}");
        Assert.EndsWith($"/u/{owner}", page.Url, StringComparison.Ordinal);
        using var gone = await site.Registry(owner, WebSite.Password).SendAsync(HttpMethod.Get, $"api/v1/repositories/{repository}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task The_settings_are_the_absent_page_for_everyone_but_admins_and_their_forms_change_nothing()
    {
        var owner = await site.NewUserAsync("owner");
        var reader = await site.NewUserAsync("reader");
        var writer = await site.NewUserAsync("writer");
        var outsider = await site.NewUserAsync("outsider");
        var repository = $"{owner}/guarded";
        await Settings.PushAsync(site, owner, repository);
        var api = site.Registry(owner, WebSite.Password);
        await api.ApiAsync(HttpMethod.Put, $"api/v1/repositories/{repository}/-/collaborators/users/{reader}", new JsonObject { ["level"] = "read" }, HttpStatusCode.NoContent);
        await api.ApiAsync(HttpMethod.Put, $"api/v1/repositories/{repository}/-/collaborators/users/{writer}", new JsonObject { ["level"] = "write" }, HttpStatusCode.NoContent);

        var http = site.NewHttpClient();
        var visitors = new List<(string Who, Dictionary<string, string> Cookies)> { ("anonymous", []) };
        foreach (var user in new[] { reader, writer, outsider })
        {
            visitors.Add((user, await Forms.SignInAsync(http, user, WebSite.Password)));
        }

        foreach (var (who, cookies) in visitors)
        {
            var absent = await Forms.GetAsync(http, $"/r/{owner}/no-such-repository/-/settings", cookies);
            var settings = await Forms.GetAsync(http, $"/r/{repository}/-/settings", cookies);
            Assert.Equal(MainOf(absent), MainOf(settings));
            Assert.Contains("Not found", settings, StringComparison.Ordinal);
            Assert.DoesNotContain("/-/settings\"", await Forms.GetAsync(http, $"/r/{repository}", cookies), StringComparison.Ordinal);
            if (who == "anonymous")
            {
                continue;
            }

            var token = Forms.Token(await Forms.GetAsync(http, $"/u/{who}", cookies));
            foreach (var (action, fields) in new (string, KeyValuePair<string, string>[])[]
            {
                ("visibility", [new("visibility", "private")]),
                ("description", [new("description", "defaced")]),
                ("collaborators", [new("user", who), new("level", "admin")]),
                ("delete", [new("confirm", repository)]),
            })
            {
                using var post = await Forms.PostAsync(http, $"/r/{repository}/-/settings/{action}", cookies, [new(Forms.TokenField, token), .. fields]);
                Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"{who} POST {action}: {(int)post.StatusCode}");
            }
        }

        var after = await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}");
        Assert.Equal("public", (string?)after["visibility"]);
        Assert.Null((string?)after["description"]);
        Assert.Equal("read", await UserLevelAsync(owner, repository, reader));
        Assert.Equal("write", await UserLevelAsync(owner, repository, writer));
        Assert.Null(await UserLevelAsync(owner, repository, outsider));
    }

    private async Task<string?> UserLevelAsync(string owner, string repository, string user)
    {
        var grants = await Settings.GetAsync(site, owner, $"api/v1/repositories/{repository}/-/collaborators");
        return grants.AsArray().Where(g => (string?)g!["user"] == user).Select(g => (string?)g!["level"]).SingleOrDefault();
    }

    /// <summary>The page's main element: the header differs by who is signed in, the answer must not.</summary>
    internal static string MainOf(string html)
    {
        var start = html.IndexOf("<main", StringComparison.Ordinal);
        var end = html.IndexOf("</main>", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "no main element");
        return html[start..end];
    }
}
