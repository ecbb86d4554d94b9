using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// The search page's box updates the results as one types (a debounced fetch of <c>/search/results</c>, the address
/// kept in step), without reloading the page; without script the form still searches; the fragment hides what the
/// page hides.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class LiveSearchTests(WebSite site)
{
    [Fact]
    public async Task Typing_in_the_search_box_updates_the_results_without_a_reload()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Add(message.Text);
            }
        };
        await page.GotoAsync("/search?q=no-such-thing-at-all");
        var results = page.Locator("#search-results");
        await Assertions.Expect(results).ToHaveAttributeAsync("aria-live", "polite");
        await Assertions.Expect(results.Locator(".count")).ToHaveTextAsync("0 repositories");
        await page.EvaluateAsync("() => { window.samePage = true; }");

        await page.FillAsync("#search-q", "webapp");
        await Assertions.Expect(results.Locator($"a[href='/r/{site.PublicRepository}']")).ToBeVisibleAsync();
        await page.WaitForURLAsync("**/search?q=webapp");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Repositories matching “webapp”");
        await Assertions.Expect(page).ToHaveTitleAsync("Search: webapp · Berth");

        // Choosing a sort updates too; a private repository stays out of the anonymous visitor's results.
        await page.FillAsync("#search-q", site.Alice);
        await page.SelectOptionAsync("#search-sort", "stars");
        await page.WaitForURLAsync($"**/search?q={site.Alice}&sort=stars");
        await Assertions.Expect(results.Locator($"a[href='/r/{site.PublicRepository}']")).ToBeVisibleAsync();
        Assert.Equal(0, await results.Locator($"a[href='/r/{site.PrivateRepository}']").CountAsync());

        await page.FillAsync("#search-q", "zz-nothing-matches-this");
        await Assertions.Expect(results.Locator(".count")).ToHaveTextAsync("0 repositories");
        Assert.True(await page.EvaluateAsync<bool>("() => window.samePage === true"), "the search reloaded the page");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Without_JavaScript_the_search_form_still_works()
    {
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/search");
        await page.FillAsync("#search-q", "webapp");
        await page.ClickAsync("form.search-controls button[type=submit]");
        await page.WaitForURLAsync("**/search?q=webapp&sort=relevance");
        await Assertions.Expect(page.Locator($"#search-results a[href='/r/{site.PublicRepository}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Repositories matching “webapp”");
    }

    [Fact]
    public async Task The_results_fragment_hides_private_repositories_like_the_page()
    {
        var http = site.NewHttpClient();
        var anonymous = await http.GetStringAsync(new Uri($"search/results?q={site.Alice}", UriKind.Relative));
        Assert.Contains($"/r/{site.PublicRepository}", anonymous, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-plans", anonymous, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", anonymous, StringComparison.Ordinal);

        var cookies = await Forms.SignInAsync(http, site.Alice, WebSite.Password);
        var owner = await Forms.GetAsync(http, $"search/results?q={site.Alice}", cookies);
        Assert.Contains($"/r/{site.PrivateRepository}", owner, StringComparison.Ordinal);

        using var invalid = await http.GetAsync(new Uri("search/results?q=x&page=0", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, invalid.StatusCode);
    }
}
