using Berth.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>A Berth with sign-up open (token auth, as deployed) and a browser, for the end-to-end scenarios.</summary>
public sealed class EndToEndSite : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public RegistryServer Server { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Server = await RegistryServer.StartAsync(extraArgs: ["--auth", "token", "--admin-password", WebSite.AdminPassword, "--signup", "true", "--Berth:BcryptWorkFactor", "4"]);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = WebSite.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
    }

    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUri.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = Server.BaseUri.ToString().TrimEnd('/') });
        return context;
    }

    /// <summary>Signs up through the form (the account is signed in after it).</summary>
    public static async Task SignUpAsync(IPage page, string name)
    {
        await page.GotoAsync("/signup");
        await page.FillAsync("#signup-name", name);
        await page.FillAsync("#signup-password", WebSite.Password);
        await page.FillAsync("#signup-confirm", WebSite.Password);
        await page.ClickAsync("main form button[type=submit]");
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(name);
    }

    /// <summary>Loads <paramref name="url"/> until <paramref name="locator"/> shows (the index learns of pushes from events), at most 30 s.</summary>
    public static async Task WaitForAsync(IPage page, string url, string locator)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await page.GotoAsync(url);
            if (await page.Locator(locator).CountAsync() > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not show {locator} within 30 s");
            await Task.Delay(200);
        }
    }
}

/// <summary>
/// The scenario in a real browser with a real podman: sign up, create an organisation and a team, push a
/// multi-platform image, find it, read its tags and platforms, copy the pull command, star, comment, make it private, and
/// see it gone for another user and for an anonymous visitor everywhere. And a collaborator added in the settings can
/// push with podman until removed there.
/// </summary>
public sealed class EndToEndTests(EndToEndSite site, ITestOutputHelper output) : IClassFixture<EndToEndSite>, IDisposable
{
    private readonly ToolSandbox _tools = new();

    private string Host => site.Server.HostPort;

    [Fact]
    public async Task A_new_user_publishes_a_multi_platform_image_through_an_organisation_and_then_hides_it()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var user = $"erin{suffix}";
        var org = $"rockets{suffix}";
        var repository = $"{org}/launcher";
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();

        // Sign up, create the organisation and a team.
        await EndToEndSite.SignUpAsync(page, user);
        await page.ClickAsync("text=Create an organisation");
        await page.FillAsync("#org-name", org);
        await page.ClickAsync("main form button[type=submit]");
        await page.FillAsync("#team-name", "crew");
        await page.ClickAsync("text=Create team");
        await Assertions.Expect(page.Locator("#team-crew h3")).ToHaveTextAsync("crew");

        // podman builds a manifest list from two local images (linux/amd64, linux/arm64) and pushes it, nothing downloaded.
        var factory = new ImageFactory();
        var amd64 = factory.CreateImage(layers: 1, platform: Platform.LinuxAmd64);
        var arm64 = factory.CreateImage(layers: 2, platform: Platform.LinuxArm64);
        var layout = _tools.NewLayout((amd64, "amd64"), (arm64, "arm64"));
        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", user, "-p", WebSite.Password, Host)).EnsureSuccess();
        (await _tools.PodmanAsync("manifest", "create", "launcher-list")).EnsureSuccess();
        (await _tools.PodmanAsync("manifest", "add", "launcher-list", layout.Reference("amd64"))).EnsureSuccess();
        (await _tools.PodmanAsync("manifest", "add", "launcher-list", layout.Reference("arm64"))).EnsureSuccess();
        var push = (await _tools.PodmanAsync("manifest", "push", "--all", "--tls-verify=false", "launcher-list", $"docker://{Host}/{repository}:1.0")).EnsureSuccess();
        output.WriteLine($"podman manifest push: {push.Elapsed.TotalSeconds:0.0} s");

        // Find it by search, open it: the tag and both platforms.
        await EndToEndSite.WaitForAsync(page, $"/search?q={org}", $"main a[href='/r/{repository}']");
        await page.ClickAsync($"main a[href='/r/{repository}']");
        var row = page.Locator("table.tags tbody tr", new() { HasText = "1.0" });
        await Assertions.Expect(row.Locator(".platform")).ToHaveTextAsync(["linux/amd64", "linux/arm64/v8"]);
        await page.ClickAsync("table.tags a:text-is('1.0')");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("linux/arm64/v8");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("linux/amd64");

        // Copy the pull command, star, comment.
        await page.GotoAsync($"/r/{repository}");
        await page.ClickAsync("button[data-copy=pull-podman]");
        Assert.Equal($"podman pull {Host}/{repository}:1.0", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ClickAsync("form.star button");
        await Assertions.Expect(page.Locator("[data-stat=stars]")).ToHaveTextAsync("1");
        await page.FillAsync("#comment-body", "Lift-off in **3, 2, 1**");
        await page.ClickAsync("form.comment-form button[type=submit]");
        await Assertions.Expect(page.Locator(".comment-list strong")).ToHaveTextAsync("3, 2, 1");

        // Make it private in its settings.
        await page.ClickAsync("main a:text-is('Settings')");
        await page.CheckAsync("input[name=visibility][value=private]");
        await page.ClickAsync("text=Save visibility");
        await Assertions.Expect(page.Locator("input[name=visibility][value=private]")).ToBeCheckedAsync();

        // Its owner still sees it everywhere (so the checks below can fail)…
        await AssertVisibleAsync(page, org, repository, visible: true);

        // …another signed-in user and an anonymous visitor see nothing of it.
        await using var other = await site.NewContextAsync();
        var otherPage = await other.NewPageAsync();
        await EndToEndSite.SignUpAsync(otherPage, $"frank{suffix}");
        await AssertVisibleAsync(otherPage, org, repository, visible: false);
        await using var anonymous = await site.NewContextAsync();
        await AssertVisibleAsync(await anonymous.NewPageAsync(), org, repository, visible: false);
    }

    [Fact]
    public async Task A_collaborator_added_with_write_in_the_settings_can_push_with_podman_until_removed()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var owner = $"gina{suffix}";
        var helper = $"hank{suffix}";
        var repository = $"{owner}/shared";
        await using var helperContext = await site.NewContextAsync();
        await EndToEndSite.SignUpAsync(await helperContext.NewPageAsync(), helper);
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await EndToEndSite.SignUpAsync(page, owner);

        var factory = new ImageFactory();
        var first = factory.CreateImage(layers: 1);
        var second = factory.CreateImage(layers: 1);
        var third = factory.CreateImage(layers: 1);
        var layout = _tools.NewLayout((first, "first"), (second, "second"), (third, "third"));
        foreach (var tag in new[] { "first", "second", "third" })
        {
            (await _tools.PodmanAsync("pull", "-q", layout.Reference(tag))).EnsureSuccess();
        }

        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", owner, "-p", WebSite.Password, Host)).EnsureSuccess();
        (await _tools.PodmanAsync("push", "--tls-verify=false", first.Config.Hex, $"docker://{Host}/{repository}:first")).EnsureSuccess();
        (await _tools.PodmanAsync("logout", Host)).EnsureSuccess();
        await EndToEndSite.WaitForAsync(page, $"/r/{repository}", "main a:text-is('Settings')");

        // Before any grant the helper may not push.
        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", helper, "-p", WebSite.Password, Host)).EnsureSuccess();
        Assert.False((await _tools.PodmanAsync("push", "--tls-verify=false", second.Config.Hex, $"docker://{Host}/{repository}:early")).Succeeded);

        // Added with write in the settings: the push goes through.
        await page.GotoAsync($"/r/{repository}/-/settings");
        await page.FillAsync("#collaborator-user", helper);
        await page.SelectOptionAsync("#collaborator-level", "write");
        await page.ClickAsync("text=Add collaborator");
        await Assertions.Expect(page.Locator("section[aria-labelledby=collaborators] tbody")).ToContainTextAsync(helper);
        (await _tools.PodmanAsync("push", "--tls-verify=false", second.Config.Hex, $"docker://{Host}/{repository}:second")).EnsureSuccess();

        // Removed there: refused again.
        await page.ClickAsync($"button[aria-label='Remove {helper}']");
        await Assertions.Expect(page.Locator("section[aria-labelledby=collaborators]")).Not.ToContainTextAsync(helper);
        var refused = await _tools.PodmanAsync("push", "--tls-verify=false", third.Config.Hex, $"docker://{Host}/{repository}:third");
        Assert.False(refused.Succeeded, refused.ToString());
        output.WriteLine($"push after removal: {refused.Stderr.Trim().Split('\n')[^1]}");

        await EndToEndSite.WaitForAsync(page, $"/r/{repository}", "table.tags a:text-is('second')");
        await Assertions.Expect(page.Locator("table.tags a:text-is('third')")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("table.tags a:text-is('early')")).ToHaveCountAsync(0);
    }

    /// <summary>The repository on its page, in search, explore and its organisation's page — or, for anyone who may not see it, the absent page and nothing else.</summary>
    private async Task AssertVisibleAsync(IPage page, string org, string repository, bool visible)
    {
        var link = $"main a[href='/r/{repository}']";
        var response = await page.GotoAsync($"/r/{repository}");
        if (visible)
        {
            Assert.Equal(200, response!.Status);
        }
        else
        {
            Assert.Equal(404, response!.Status);
            var gone = await page.InnerHTMLAsync("main");
            Assert.Equal(404, (await page.GotoAsync($"/r/{org}/no-such-repository"))!.Status);
            Assert.Equal(await page.InnerHTMLAsync("main"), gone);
            foreach (var sub in new[] { "/-/tags/1.0", "/-/settings" })
            {
                Assert.Equal(404, (await page.GotoAsync($"/r/{repository}{sub}"))!.Status);
            }
        }

        await page.GotoAsync($"/search?q={org}");
        await Assertions.Expect(page.Locator(link)).ToHaveCountAsync(visible ? 1 : 0);
        await Assertions.Expect(page.Locator("main p.count")).ToHaveTextAsync(visible ? "1 repository" : "0 repositories");
        await page.GotoAsync("/search?q=launcher&sort=stars");
        await Assertions.Expect(page.Locator(link)).ToHaveCountAsync(visible ? 1 : 0);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator(link)).ToHaveCountAsync(visible ? 2 : 0);
        await page.GotoAsync($"/u/{org}");
        await Assertions.Expect(page.Locator(link)).ToHaveCountAsync(visible ? 1 : 0);
        if (!visible)
        {
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync("No repositories to show.");
        }
    }

    public void Dispose() => _tools.Dispose();
}
