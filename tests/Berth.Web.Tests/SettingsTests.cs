using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary><c>/settings</c>: password change, personal access tokens shown once, revocation (also twice at once).</summary>
[Collection(SettingsWebCollection.Name)]
public sealed class SettingsTests(WebSite site)
{
    [Fact]
    public async Task Settings_sends_an_anonymous_visitor_to_sign_in_and_back()
    {
        using var http = site.NewHttpClient();
        using var response = await http.GetAsync("settings");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/login?return=%2Fsettings", response.Headers.Location!.OriginalString);

        // A form sent without a session is not acted on either (the antiforgery check refuses it first).
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        var login = await Forms.GetAsync(http, "login", cookies);
        using var post = await Forms.PostAsync(http, "settings/tokens", cookies, [new(Forms.TokenField, Forms.Token(login)), new("name", "x"), new("scope", "read")]);
        Assert.Equal(HttpStatusCode.Found, post.StatusCode);
        Assert.StartsWith("/login", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_password_in_the_UI_keeps_this_browser_signed_in_and_retires_the_old_password_everywhere()
    {
        var user = await site.NewUserAsync("paula");
        using var http = site.NewHttpClient();
        var elsewhere = await Forms.SignInAsync(http, user, WebSite.Password);

        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        await page.GotoAsync("/settings");
        await page.FillAsync("#password-current", WebSite.Password);
        await page.FillAsync("#password-new", AccountForms.NewPassword);
        await page.FillAsync("#password-confirm", AccountForms.NewPassword);
        await page.ClickAsync("form[action='/settings/password'] button[type=submit]");
        await page.WaitForURLAsync(new Regex("/settings\\?done=password$"));
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("Your password is changed");

        // This browser is still signed in (a new session); the other browser's session has ended.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(user);
        Assert.Null(Forms.SignedInAs(await Forms.GetAsync(http, "/", elsewhere)));

        // The old password: refused by the web login, the API and the token service. The new one: accepted by all three.
        Assert.Equal(HttpStatusCode.Unauthorized, await AccountForms.WebSignInStatusAsync(http, user, WebSite.Password));
        Assert.Equal(HttpStatusCode.Unauthorized, await AccountForms.ApiStatusAsync(http, user, WebSite.Password));
        Assert.Equal(HttpStatusCode.Unauthorized, await AccountForms.TokenServiceStatusAsync(http, user, WebSite.Password));
        Assert.Equal(HttpStatusCode.Found, await AccountForms.WebSignInStatusAsync(http, user, AccountForms.NewPassword));
        Assert.Equal(HttpStatusCode.OK, await AccountForms.ApiStatusAsync(http, user, AccountForms.NewPassword));
        Assert.Equal(HttpStatusCode.OK, await AccountForms.TokenServiceStatusAsync(http, user, AccountForms.NewPassword));
    }

    [Fact]
    public async Task A_wrong_current_password_or_a_mismatched_confirmation_changes_nothing()
    {
        var user = await site.NewUserAsync("quinn");
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);

        await page.GotoAsync("/settings");
        await page.FillAsync("#password-current", "not-the-password");
        await page.FillAsync("#password-new", AccountForms.NewPassword);
        await page.FillAsync("#password-confirm", AccountForms.NewPassword);
        var wrong = await SubmitAsync(page, "/settings/password");
        Assert.Equal(403, wrong.Status);
        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("current password is wrong");

        await page.FillAsync("#password-current", WebSite.Password);
        await page.FillAsync("#password-new", AccountForms.NewPassword);
        await page.FillAsync("#password-confirm", AccountForms.NewPassword + "x");
        var mismatch = await SubmitAsync(page, "/settings/password");
        Assert.Equal(400, mismatch.Status);
        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("do not match");

        using var http = site.NewHttpClient();
        Assert.Equal(HttpStatusCode.OK, await AccountForms.ApiStatusAsync(http, user, WebSite.Password));
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(user);
    }

    [Fact]
    public async Task A_token_created_in_the_UI_is_shown_once_works_for_the_API_and_is_listed_without_its_secret()
    {
        var user = await site.NewUserAsync("rosa");
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        var created = page.WaitForResponseAsync(r => r.Url.EndsWith("/settings/tokens", StringComparison.Ordinal));
        var secret = await AccountForms.CreateTokenAsync(page, "ci-build", "read", "write");
        var answer = await created;
        Assert.Contains("no-store", (await answer.AllHeadersAsync())["cache-control"], StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("main dl")).ToContainTextAsync("read write");

        using var http = site.NewHttpClient();
        Assert.Equal(HttpStatusCode.OK, await AccountForms.ApiStatusAsync(http, user, secret));

        // Never again: not on the settings page (listed by name and prefix), not on any later page.
        await page.GotoAsync("/settings");
        var row = page.Locator("table.tokens tbody tr").Filter(new() { HasText = "ci-build" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync(secret[..14]);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret[14..], await page.ContentAsync(), StringComparison.Ordinal);
        await page.GotoAsync($"/u/{user}");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        // A token without any scope is refused, the form keeps its name.
        await page.GotoAsync("/settings");
        await page.FillAsync("#token-name", "no-scopes");
        await page.Locator("#token-scope-read").SetCheckedAsync(false);
        var refused = await SubmitAsync(page, "/settings/tokens");
        Assert.Equal(400, refused.Status);
        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("at least one scope");
        await Assertions.Expect(page.Locator("#token-name")).ToHaveValueAsync("no-scopes");
    }

    [Fact]
    public async Task Two_browsers_revoking_the_same_token_at_once_both_land_on_the_settings_page_and_it_is_revoked_once()
    {
        var user = await site.NewUserAsync("sven");
        var owner = site.Registry(user, WebSite.Password);
        using var response = await owner.SendAsync(HttpMethod.Post, "api/v1/user/tokens", new JsonObject { ["name"] = "shared", ["scopes"] = new JsonArray("read") });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var id = (long)token["id"]!;
        var secret = (string)token["token"]!;

        var pages = new List<IPage>();
        var contexts = new List<IBrowserContext>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await site.NewContextAsync();
                contexts.Add(context);
                var page = await context.NewPageAsync();
                await WebSite.SignInAsync(page, user);
                await page.GotoAsync("/settings");
                await Assertions.Expect(page.Locator($"tr[data-token-id='{id}'] button")).ToBeVisibleAsync();
                pages.Add(page);
            }

            // Both forms are sent together; each browser follows its redirect.
            await Task.WhenAll(pages.Select(p => p.Locator($"tr[data-token-id='{id}'] button").ClickAsync()));
            await Task.WhenAll(pages.Select(p => p.WaitForURLAsync(new Regex("/settings\\?done=(revoked|gone)#tokens$"))));
            var outcomes = pages.Select(p => new Uri(p.Url).Query).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(new[] { "?done=gone", "?done=revoked" }, outcomes);
            foreach (var page in pages)
            {
                await Assertions.Expect(page.Locator("main [role=status]")).ToBeVisibleAsync();
                await Assertions.Expect(page.Locator($"tr[data-token-id='{id}']")).ToContainTextAsync("revoked");
                await Assertions.Expect(page.Locator($"tr[data-token-id='{id}'] button")).ToHaveCountAsync(0);
            }
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
        }

        var revocations = (await AccountForms.AuditAsync(site, 100))
            .Where(e => (string?)e!["action"] == "token.revoked" && (string?)e["actor"] == user && (string?)e["detail"] == $"token {id}")
            .ToList();
        Assert.Single(revocations);
        using var http = site.NewHttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, await AccountForms.ApiStatusAsync(http, user, secret));
    }

    [Fact]
    public async Task Another_users_token_cannot_be_revoked_from_ones_own_settings()
    {
        var user = await site.NewUserAsync("tara");
        using var response = await site.Registry(user, WebSite.Password).SendAsync(HttpMethod.Post, "api/v1/user/tokens", new JsonObject { ["name"] = $"{user}-ci", ["scopes"] = new JsonArray("read") });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        // Bob sends a well-formed revocation of her token id from his own session: the same answer as an unknown id.
        using var http = site.NewHttpClient();
        var bob = await Forms.SignInAsync(http, site.Bob, WebSite.Password);
        var settings = await Forms.GetAsync(http, "settings", bob);
        Assert.DoesNotContain($"{user}-ci", settings, StringComparison.Ordinal);
        using var revoke = await Forms.PostAsync(http, $"settings/tokens/{(long)token["id"]!}/revoke", bob, [new(Forms.TokenField, Forms.Token(settings))]);
        Assert.Equal(HttpStatusCode.Found, revoke.StatusCode);
        Assert.Equal("/settings?done=gone#tokens", revoke.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, await AccountForms.ApiStatusAsync(http, user, (string)token["token"]!));
    }

    /// <summary>Sends the form posting to <paramref name="action"/>; its answer.</summary>
    private static Task<IResponse> SubmitAsync(IPage page, string action) =>
        page.RunAndWaitForResponseAsync(
            () => page.ClickAsync($"form[action='{action}'] button[type=submit]"),
            r => r.Request.Method == "POST" && r.Url.EndsWith(action, StringComparison.Ordinal));
}
