using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// A private repository is, to anyone who may not read it, exactly an absent one: the same 404 page on every URL,
/// missing from search, explore and its owner's page. Its owner sees it everywhere (so these checks can fail).
/// </summary>
[Collection(WebCollection.Name)]
public sealed class PrivateRepositoryTests(WebSite site)
{
    [Fact]
    public async Task Anonymous_visitors_cannot_tell_it_from_an_absent_repository()
    {
        await using var context = await site.NewContextAsync();
        await AssertInvisibleAsync(await context.NewPageAsync());
    }

    [Fact]
    public async Task Another_user_cannot_tell_it_from_an_absent_repository()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, site.Bob);
        await AssertInvisibleAsync(page);
    }

    [Fact]
    public async Task Its_owner_sees_it_on_every_page()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, site.Alice);
        foreach (var url in PrivateUrls())
        {
            Assert.Equal(200, (await page.GotoAsync(url))!.Status);
        }

        await page.GotoAsync("/search?q=secret");
        await Assertions.Expect(page.Locator("main ul.repos")).ToContainTextAsync(site.PrivateRepository);
        await page.GotoAsync($"/u/{site.Alice}");
        await Assertions.Expect(page.Locator("main ul.repos")).ToContainTextAsync(site.PrivateRepository);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("section[aria-labelledby=recent]")).ToContainTextAsync(site.PrivateRepository);
    }

    private IEnumerable<string> PrivateUrls() =>
    [
        $"/r/{site.PrivateRepository}",
        $"/r/{site.PrivateRepository}?page=1",
        $"/r/{site.PrivateRepository}/-/tags/v1",
        $"/r/{site.PrivateRepository}/-/manifests/{site.Secret.Manifest.Digest}",
    ];

    private async Task AssertInvisibleAsync(IPage page)
    {
        var absent = $"{site.Alice}/no-such-repository";
        Assert.Equal(404, (await page.GotoAsync($"/r/{absent}"))!.Status);
        var notFound = await page.InnerTextAsync("main");
        var title = await page.TitleAsync();

        foreach (var url in PrivateUrls())
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            Assert.Equal(notFound, await page.InnerTextAsync("main"));
            Assert.Equal(title, await page.TitleAsync());
        }

        // Its public sibling is there, so the pages below do list what may be seen.
        foreach (var url in new[] { "/search?q=secret", "/search?q=plans&sort=stars", $"/search?q={site.Alice}", "/search?sort=updated", "/", $"/u/{site.Alice}" })
        {
            Assert.Equal(200, (await page.GotoAsync(url))!.Status);
            var text = await page.InnerTextAsync("main");
            Assert.DoesNotContain("secret-plans", text, StringComparison.Ordinal);
            Assert.DoesNotContain("classified", text, StringComparison.Ordinal);
        }

        await page.GotoAsync("/search?q=secret-plans");
        await Assertions.Expect(page.Locator("main .count")).ToHaveTextAsync("0 repositories");
        await page.GotoAsync($"/search?q={site.Alice}");
        await Assertions.Expect(page.Locator("main .count")).ToHaveTextAsync("1 repository");
        await page.GotoAsync($"/u/{site.Alice}");
        await Assertions.Expect(page.Locator("main ul.repos li")).ToHaveCountAsync(1);
    }
}
