using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>The pull commands: a copy button with JavaScript, plain selectable text without.</summary>
[Collection(WebCollection.Name)]
public sealed class PullCommandTests(WebSite site)
{
    [Fact]
    public async Task The_copy_button_puts_the_pull_command_on_the_clipboard()
    {
        await using var context = await site.NewContextAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = site.BaseUri.ToString().TrimEnd('/') });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/r/{site.PublicRepository}");

        foreach (var tool in new[] { "podman", "docker" })
        {
            var button = page.Locator($"button[data-copy=pull-{tool}]");
            await Assertions.Expect(button).ToBeVisibleAsync();
            await button.ClickAsync();
            await Assertions.Expect(button).ToHaveTextAsync("Copied");
            Assert.Equal($"{tool} pull {site.HostPort}/{site.PublicRepository}:latest", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        }
    }

    [Fact]
    public async Task Without_JavaScript_the_command_is_there_and_no_dead_button_is_shown()
    {
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/r/{site.PublicRepository}");
        await Assertions.Expect(page.Locator("#pull-podman")).ToHaveTextAsync($"podman pull {site.HostPort}/{site.PublicRepository}:latest");
        await Assertions.Expect(page.Locator("#pull-podman")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("button[data-copy=pull-podman]")).ToBeHiddenAsync();
    }
}
