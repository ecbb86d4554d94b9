using Berth.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>
/// The account and admin pages (<c>/settings</c>, the token-created answer, <c>/admin/users</c>, <c>/admin/audit</c>):
/// zero serious or critical axe-core violations, usable with JavaScript off, screenshots at desktop and phone width.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class AccountPageQualityTests(WebSite site, ITestOutputHelper output)
{
    /// <summary>Also takes the desktop screenshots: this walk shows every page at that size already.</summary>
    [Fact]
    public async Task Account_and_admin_pages_have_no_serious_or_critical_accessibility_violations()
    {
        var failures = new List<string>();
        await VisitAsync(1280, 900, javaScript: true, async (name, page) =>
        {
            await ScreenshotAsync(page, name, 1280, "desktop");
            failures.AddRange((await Axe.SeriousViolationsAsync(page)).Select(v => $"{name}: {v}"));
        });
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Account_and_admin_pages_work_with_JavaScript_disabled()
    {
        var seen = new List<string>();
        await VisitAsync(1280, 900, javaScript: false, async (name, page) =>
        {
            await Assertions.Expect(page.Locator("main h1")).ToBeVisibleAsync();
            if (name == "token-created")
            {
                // The secret is plain text to select; the copy button stays hidden without script.
                await Assertions.Expect(page.Locator("#token-secret")).ToBeVisibleAsync();
                await Assertions.Expect(page.Locator("button[data-copy=token-secret]")).ToBeHiddenAsync();
            }

            seen.Add(name);
        });
        Assert.Equal(["settings", "token-created", "settings-with-token", "admin-users", "admin-audit"], seen);
    }

    /// <summary>The desktop screenshots are taken by the accessibility test, whose walk shows every page at that size.</summary>
    [Fact]
    public async Task Screenshots_of_the_account_and_admin_pages_at_phone_width()
    {
        await VisitAsync(390, 844, javaScript: true, (name, page) => ScreenshotAsync(page, name, 390, "phone"));
        output.WriteLine($"screenshots in {WebSite.ResultsDirectory}");
    }

    /// <summary>A full-page screenshot, and nothing wider than the screen.</summary>
    private static async Task ScreenshotAsync(IPage page, string name, int width, string label)
    {
        var path = Path.Combine(WebSite.ResultsDirectory, $"{name}-{label}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 1000, $"{path} is empty");
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{name} at {width} px is {overflow} px too wide");
    }

    /// <summary>
    /// Walks the pages in a fresh user's browser (settings, creating a token through the form, settings listing it,
    /// revoking it) and in the admin's, calling <paramref name="check"/> on each.
    /// </summary>
    private async Task VisitAsync(int width, int height, bool javaScript, Func<string, IPage, Task> check)
    {
        var user = await site.NewUserAsync("tess");
        await using (var context = await site.NewContextAsync(javaScript, width, height))
        {
            var page = await context.NewPageAsync();
            await WebSite.SignInAsync(page, user);
            Assert.Equal(200, (await page.GotoAsync("/settings"))!.Status);
            await check("settings", page);

            await AccountForms.CreateTokenAsync(page, "laptop", "read", "write");
            await check("token-created", page);

            Assert.Equal(200, (await page.GotoAsync("/settings"))!.Status);
            await Assertions.Expect(page.Locator("table.tokens tbody tr")).ToHaveCountAsync(1);
            await check("settings-with-token", page);
            await AccountForms.RevokeAsync(page, "laptop");
            await Assertions.Expect(page.Locator("table.tokens tbody tr")).ToContainTextAsync("revoked");
        }

        await using (var context = await site.NewContextAsync(javaScript, width, height))
        {
            var page = await context.NewPageAsync();
            await WebSite.SignInAsync(page, "admin", WebSite.AdminPassword);
            foreach (var (name, url) in new[] { ("admin-users", "/admin/users"), ("admin-audit", "/admin/audit") })
            {
                Assert.Equal(200, (await page.GotoAsync(url))!.Status);
                await Assertions.Expect(page.Locator("main table tbody tr").First).ToBeVisibleAsync();
                await check(name, page);
            }
        }
    }
}
