using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>Finding an image and reading it: search, the repository page with its tags and platforms, a tag's detail.</summary>
[Collection(WebCollection.Name)]
public sealed class BrowsingTests(WebSite site)
{
    [Fact]
    public async Task Search_from_the_explore_page_finds_a_pushed_public_image()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("section[aria-labelledby=recent]")).ToContainTextAsync(site.PublicRepository);

        await page.FillAsync("#explore-q", "webapp");
        await page.PressAsync("#explore-q", "Enter");
        await page.WaitForURLAsync("**/search?q=webapp");
        await Assertions.Expect(page.Locator("main ul.repos")).ToContainTextAsync(site.PublicRepository);

        await page.ClickAsync($"main ul.repos a:text-is('{site.PublicRepository}')");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(site.PublicRepository);
    }

    [Fact]
    public async Task Search_sorts_and_pages()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/search?q={site.Alice}&sort=updated");
        Assert.Equal(200, response!.Status);
        Assert.Equal("updated", await page.InputValueAsync("#search-sort"));
        await Assertions.Expect(page.Locator("main ul.repos")).ToContainTextAsync(site.PublicRepository);

        Assert.Equal(400, (await page.GotoAsync($"/search?q={site.Alice}&page=0"))!.Status);
        var beyond = await page.GotoAsync($"/search?q={site.Alice}&page=50");
        Assert.Equal(200, beyond!.Status);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("No repository matches.");
    }

    [Fact]
    public async Task The_repository_page_shows_the_description_tags_and_platforms_of_a_multi_platform_index()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/r/{site.PublicRepository}");
        Assert.Equal(200, response!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(site.PublicRepository);

        // Markdown rendered; raw HTML in it shown as text, never run.
        await Assertions.Expect(page.Locator(".markdown strong")).ToHaveTextAsync("demo");
        await Assertions.Expect(page.Locator(".markdown table td").First).ToHaveTextAsync("1");
        Assert.Equal(0, await page.Locator(".markdown script").CountAsync());
        Assert.DoesNotContain("pwned", await page.TitleAsync(), StringComparison.Ordinal);

        var latest = page.Locator("table.tags tbody tr", new() { Has = page.Locator("th a:text-is('latest')") });
        await Assertions.Expect(latest.Locator(".platform")).ToHaveTextAsync(["linux/amd64", "linux/arm64/v8"]);
        await Assertions.Expect(latest.Locator("a.digest")).ToHaveAttributeAsync("title", site.Index.Manifest.Digest);

        var single = page.Locator("table.tags tbody tr", new() { Has = page.Locator("th a:text-is('1.0')") });
        await Assertions.Expect(single.Locator(".platform")).ToHaveTextAsync(["linux/s390x"]);

        await Assertions.Expect(page.Locator("#pull-podman")).ToHaveTextAsync($"podman pull {site.HostPort}/{site.PublicRepository}:latest");
        await Assertions.Expect(page.Locator("#pull-docker")).ToHaveTextAsync($"docker pull {site.HostPort}/{site.PublicRepository}:latest");
        await Assertions.Expect(page.Locator("#pull-berth")).ToHaveTextAsync($"berth pull {site.HostPort}/{site.PublicRepository}:latest");
    }

    [Fact]
    public async Task A_tag_of_an_index_lists_its_platforms_and_referrers_and_leads_to_each_image()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/r/{site.PublicRepository}");
        await page.ClickAsync("table.tags th a:text-is('latest')");
        await page.WaitForURLAsync($"**/r/{site.PublicRepository}/-/tags/latest");

        await Assertions.Expect(page.Locator("section[aria-labelledby=platforms] tbody th")).ToHaveTextAsync(["linux/amd64", "linux/arm64/v8"]);
        await Assertions.Expect(page.Locator(".digest-full")).ToHaveTextAsync(site.Index.Manifest.Digest);
        await Assertions.Expect(page.Locator("section[aria-labelledby=referrers] tbody")).ToContainTextAsync(ImageFactory.DefaultArtifactType);

        var arm = site.Index.Images.Single(i => i.Platform == Platform.LinuxArm64);
        await page.ClickAsync($"section[aria-labelledby=platforms] a[title='{arm.Manifest.Digest}']");
        await Assertions.Expect(page.Locator(".digest-full")).ToHaveTextAsync(arm.Manifest.Digest);
        var config = page.Locator("section[aria-labelledby=config]");
        await Assertions.Expect(config.Locator(".platform-cell")).ToHaveTextAsync("linux/arm64/v8");
        await Assertions.Expect(config).ToContainTextAsync("2024-01-02 03:04 UTC");
        await Assertions.Expect(config).ToContainTextAsync("/bin/sh");
        await Assertions.Expect(config).ToContainTextAsync("org.berth.test.id");
        await Assertions.Expect(page.Locator("section[aria-labelledby=layers] tbody tr")).ToHaveCountAsync(arm.Layers.Count);
    }

    [Fact]
    public async Task A_tag_of_an_image_shows_its_config_and_layers_with_sizes()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/r/{site.PublicRepository}/-/tags/1.0");
        Assert.Equal(200, response!.Status);
        await Assertions.Expect(page.Locator("section[aria-labelledby=config] .platform-cell")).ToHaveTextAsync("linux/s390x");
        var rows = page.Locator("section[aria-labelledby=layers] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(site.Image.Layers.Count);
        for (var i = 0; i < site.Image.Layers.Count; i++)
        {
            await Assertions.Expect(rows.Nth(i).Locator("code").First).ToHaveAttributeAsync("title", site.Image.Layers[i].Digest);
        }

        await Assertions.Expect(page.Locator("section[aria-labelledby=referrers]")).ToContainTextAsync("No signatures");
    }

    [Fact]
    public async Task A_user_page_lists_the_users_repositories()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/u/{site.Alice}");
        Assert.Equal(200, response!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(site.Alice);
        await Assertions.Expect(page.Locator("main ul.repos")).ToContainTextAsync(site.PublicRepository);
        Assert.Equal(404, (await page.GotoAsync($"/u/nobody{site.Suffix}"))!.Status);
    }
}
