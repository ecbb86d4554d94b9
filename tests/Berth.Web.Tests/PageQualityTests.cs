using Berth.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>
/// Every page: the security headers, no Content-Security-Policy violation or other console error, zero serious or
/// critical axe-core violations, readable with JavaScript off; screenshots at desktop and phone width.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class PageQualityTests(WebSite site, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_page_sends_a_strict_CSP_and_runs_without_console_errors()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            // The not-found page is meant to be a 404, which Chromium reports as a failed load.
            var expected404 = message.Text.Contains("status of 404", StringComparison.Ordinal) && page.Url.EndsWith("/no-such-repository", StringComparison.Ordinal);
            if (message.Type is "error" or "warning" && !expected404)
            {
                errors.Add($"{page.Url}: {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => errors.Add($"{page.Url}: uncaught: {error}");

        await WebSite.SignInAsync(page, site.Alice);
        foreach (var (_, url, status) in MainPages.Of(site))
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(status, response!.Status);
            var headers = await response.AllHeadersAsync();
            var csp = headers["content-security-policy"];
            Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", headers["x-content-type-options"]);

            // The page's own script ran (it reveals copy buttons), so a blocked script would have shown up here.
            await page.WaitForLoadStateAsync(LoadState.Load);
        }

        await page.GotoAsync($"/r/{site.PublicRepository}");
        await Assertions.Expect(page.Locator("button[data-copy=pull-podman]")).ToBeVisibleAsync();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>Also takes the desktop screenshots: the anonymous pass loads every page at that size already.</summary>
    [Fact]
    public async Task Every_page_has_no_serious_or_critical_accessibility_violations()
    {
        var failures = new List<string>();
        foreach (var signedIn in new[] { false, true })
        {
            await using var context = await site.NewContextAsync();
            var page = await context.NewPageAsync();
            if (signedIn)
            {
                await WebSite.SignInAsync(page, site.Alice);
            }

            // Signed in, the header, the repository page (star and comment forms) and the own user page differ: checked both ways.
            foreach (var (name, url, _) in MainPages.Of(site).Where(p => !signedIn || p.Name is "explore" or "user" or "repository"))
            {
                await page.GotoAsync(url);
                if (!signedIn)
                {
                    await ScreenshotAsync(page, name, 1280, "desktop");
                }

                failures.AddRange((await Axe.SeriousViolationsAsync(page)).Select(v => $"{name} ({(signedIn ? "signed in" : "anonymous")}): {v}"));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_page_renders_with_JavaScript_disabled()
    {
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        foreach (var (name, url, status) in MainPages.Of(site))
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(status, response!.Status);
            await Assertions.Expect(page.Locator("main h1")).ToBeVisibleAsync();
            Assert.False(string.IsNullOrWhiteSpace(await page.InnerTextAsync("main h1")), $"{name} has an empty heading");
        }

        // Forms work without script too: sign in, then the tag table.
        await page.GotoAsync("/login");
        await page.FillAsync("#login-user", site.Alice);
        await page.FillAsync("#login-password", WebSite.Password);
        await page.ClickAsync("main form button[type=submit]");
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(site.Alice);
        await page.GotoAsync($"/r/{site.PublicRepository}");
        await Assertions.Expect(page.Locator("table.tags tbody tr")).ToHaveCountAsync(2);
    }

    /// <summary>The desktop screenshots are taken by the accessibility test, which loads every page at that size.</summary>
    [Fact]
    public async Task Screenshots_of_the_main_pages_at_phone_width_and_in_dark_mode()
    {
        foreach (var (width, height, label, scheme) in new[] { (390, 844, "phone", ColorScheme.Light), (1280, 900, "desktop-dark", ColorScheme.Dark) })
        {
            await using var context = await site.NewContextAsync(width: width, height: height, colorScheme: scheme);
            var page = await context.NewPageAsync();
            foreach (var (name, url, _) in MainPages.Of(site))
            {
                if (scheme == ColorScheme.Dark && name != "repository" && name != "tag-index")
                {
                    continue;
                }

                await page.GotoAsync(url);
                await ScreenshotAsync(page, name, width, label);
            }
        }

        output.WriteLine($"screenshots in {WebSite.ResultsDirectory}");
    }

    /// <summary>A full-page screenshot, and nothing wider than the screen: a phone scrolls down, never sideways (tables scroll in their own box).</summary>
    private static async Task ScreenshotAsync(IPage page, string name, int width, string label)
    {
        var path = Path.Combine(WebSite.ResultsDirectory, $"{name}-{label}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 1000, $"{path} is empty");
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{name} at {width} px is {overflow} px too wide");
    }
}
