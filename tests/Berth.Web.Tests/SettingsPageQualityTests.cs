using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>
/// The settings pages (<c>/orgs/new</c>, an organisation's and a repository's settings, filled with members, a team,
/// grants and collaborators): zero serious or critical axe violations, readable and usable with JavaScript off, no
/// console error, nothing wider than a phone; screenshots at 1280 and 390 px.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class SettingsPageQualityTests(WebSite site, ITestOutputHelper output)
{
    [Fact]
    public async Task The_settings_pages_pass_axe_and_fit_a_phone_with_screenshots()
    {
        var (owner, pages) = await FilledPagesAsync();
        var failures = new List<string>();
        foreach (var (width, height, label) in new[] { (1280, 900, "desktop"), (390, 844, "phone") })
        {
            await using var context = await site.NewContextAsync(width: width, height: height);
            var page = await context.NewPageAsync();
            var errors = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type is "error" or "warning")
                {
                    errors.Add($"{page.Url}: {message.Type}: {message.Text}");
                }
            };
            await WebSite.SignInAsync(page, owner);
            foreach (var (name, url) in pages)
            {
                Assert.Equal(200, (await page.GotoAsync(url))!.Status);
                if (label == "desktop")
                {
                    failures.AddRange((await Axe.SeriousViolationsAsync(page)).Select(v => $"{name}: {v}"));
                }

                var path = Path.Combine(WebSite.ResultsDirectory, $"{name}-{label}.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
                Assert.True(new FileInfo(path).Length > 1000, $"{path} is empty");
                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.True(overflow <= 0, $"{name} at {width} px is {overflow} px too wide");
            }

            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        output.WriteLine($"screenshots in {WebSite.ResultsDirectory}");
    }

    [Fact]
    public async Task The_settings_pages_render_and_their_forms_work_with_JavaScript_disabled()
    {
        var (owner, pages) = await FilledPagesAsync();
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, owner);
        foreach (var (name, url) in pages)
        {
            Assert.Equal(200, (await page.GotoAsync(url))!.Status);
            Assert.False(string.IsNullOrWhiteSpace(await page.InnerTextAsync("main h1")), $"{name} has an empty heading");
        }

        // A form of each settings page, sent by the browser alone.
        var org = pages[1].Url.Split('/')[2];
        await page.GotoAsync(pages[1].Url);
        await page.FillAsync("#team-name", "nightshift");
        await page.ClickAsync("text=Create team");
        await Assertions.Expect(page.Locator("#team-nightshift h3")).ToHaveTextAsync("nightshift");
        await page.GotoAsync(pages[2].Url);
        await page.FillAsync("#description-text", "Set *without* script");
        await page.ClickAsync("text=Save description");
        await page.GotoAsync(pages[2].Url.Replace("/-/settings", "", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("section[aria-labelledby=about] em")).ToHaveTextAsync("without");
        Assert.StartsWith(org + "/", pages[2].Url.Split("/r/")[1], StringComparison.Ordinal);
    }

    /// <summary>An owner with an organisation (a second member, a team with a member, a team grant) and its repository (a collaborator).</summary>
    private async Task<(string Owner, List<(string Name, string Url)> Pages)> FilledPagesAsync()
    {
        var owner = await site.NewUserAsync("owner");
        var member = await site.NewUserAsync("member");
        var org = await Settings.NewOrganisationAsync(site, owner);
        var repository = $"{org}/service";
        var api = site.Registry(owner, WebSite.Password);
        await api.ApiAsync(HttpMethod.Post, $"api/v1/orgs/{org}/teams", new JsonObject { ["name"] = "deployers" }, HttpStatusCode.Created);
        await api.ApiAsync(HttpMethod.Put, $"api/v1/orgs/{org}/teams/deployers/members/{member}", null, HttpStatusCode.NoContent);
        await Settings.PushAsync(site, owner, repository);
        await api.ApiAsync(HttpMethod.Put, $"api/v1/repositories/{repository}/-/collaborators/teams/deployers", new JsonObject { ["level"] = "write" }, HttpStatusCode.NoContent);
        await api.ApiAsync(HttpMethod.Put, $"api/v1/repositories/{repository}/-/collaborators/users/{site.Bob}", new JsonObject { ["level"] = "read" }, HttpStatusCode.NoContent);
        return (owner, [("org-new", "/orgs/new"), ("org-settings", $"/u/{org}/-/settings"), ("repository-settings", $"/r/{repository}/-/settings")]);
    }
}
