using System.Net;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>Cookie sessions: sign-in and sign-out in the browser, the cookie's attributes, and sessions ended from elsewhere.</summary>
[Collection(WebCollection.Name)]
public sealed class SessionTests(WebSite site)
{
    [Fact]
    public async Task Signing_in_and_out_changes_who_the_pages_are_for()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/r/{site.PublicRepository}");
        await page.ClickAsync("header >> text=Sign in");
        await page.FillAsync("#login-user", site.Alice);
        await page.FillAsync("#login-password", WebSite.Password);
        await page.ClickAsync("main form button[type=submit]");

        // Back where sign-in was asked for, signed in.
        Assert.EndsWith($"/r/{site.PublicRepository}", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(site.Alice);

        var session = (await context.CookiesAsync()).Single(c => c.Name == "berth_session");
        Assert.True(session.HttpOnly, "the session cookie is readable by script");
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.False(session.Secure); // plain http on loopback; Secure is set when the request is https
        Assert.StartsWith("berth_ws_", session.Value, StringComparison.Ordinal);

        await page.ClickAsync("header >> text=Sign out");
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync("Sign in");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "berth_session");

        // The old cookie is dead on the server too, not merely forgotten by this browser.
        using var http = site.NewHttpClient();
        var html = await Forms.GetAsync(http, "/", new Dictionary<string, string> { ["berth_session"] = session.Value });
        Assert.Null(Forms.SignedInAs(html));
    }

    [Fact]
    public async Task Signing_out_everywhere_ends_the_sessions_of_other_browsers()
    {
        var user = await site.NewUserAsync("carol");
        await using var laptop = await site.NewContextAsync();
        await using var phone = await site.NewContextAsync(width: 390, height: 844);
        var laptopPage = await laptop.NewPageAsync();
        var phonePage = await phone.NewPageAsync();
        await WebSite.SignInAsync(laptopPage, user);
        await WebSite.SignInAsync(phonePage, user);
        var phoneCookie = (await phone.CookiesAsync()).Single(c => c.Name == "berth_session").Value;

        using var http = site.NewHttpClient();
        Assert.Equal(user, Forms.SignedInAs(await Forms.GetAsync(http, "/", new() { ["berth_session"] = phoneCookie })));

        await laptopPage.GotoAsync($"/u/{user}");
        await laptopPage.ClickAsync("text=Sign out everywhere");
        await Assertions.Expect(laptopPage.Locator("header nav[aria-label=Account]")).ToContainTextAsync("Sign in");

        await phonePage.ReloadAsync();
        await Assertions.Expect(phonePage.Locator("header nav[aria-label=Account]")).ToContainTextAsync("Sign in");
        Assert.Null(Forms.SignedInAs(await Forms.GetAsync(http, "/", new() { ["berth_session"] = phoneCookie })));
    }

    [Fact]
    public async Task Changing_the_password_ends_every_web_session()
    {
        var user = await site.NewUserAsync("hank");
        using var http = site.NewHttpClient();
        var cookies = await Forms.SignInAsync(http, user, WebSite.Password);
        Assert.Equal(user, Forms.SignedInAs(await Forms.GetAsync(http, "/", cookies)));

        await site.Registry(user, WebSite.Password).ApiAsync(HttpMethod.Put, "api/v1/user/password",
            new System.Text.Json.Nodes.JsonObject { ["currentPassword"] = WebSite.Password, ["newPassword"] = "An0therPassw0rd!" }, HttpStatusCode.NoContent);
        Assert.Null(Forms.SignedInAs(await Forms.GetAsync(http, "/", cookies)));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_failures_are_throttled_as_for_the_API()
    {
        var user = await site.NewUserAsync("dave");
        using var http = site.NewHttpClient();
        var cookies = new Dictionary<string, string>();
        HttpStatusCode status = default;
        string body = "";
        for (var attempt = 0; attempt < 10 && status != HttpStatusCode.TooManyRequests; attempt++)
        {
            var form = await Forms.GetAsync(http, "login", cookies);
            using var response = await Forms.PostAsync(http, "login", cookies, [new(Forms.TokenField, Forms.Token(form)), new("user", user), new("password", "wrong-password")]);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync();
            Assert.False(cookies.ContainsKey("berth_session"), "a wrong password opened a session");
            if (status != HttpStatusCode.TooManyRequests)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, status);
                Assert.Contains("Incorrect user name or password", body, StringComparison.Ordinal);
            }
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("Too many failed sign-ins", body, StringComparison.Ordinal);

        // One throttle: the API now holds back this account from this address too, even with the right password.
        using var api = await site.Registry(user, WebSite.Password).SendAsync(HttpMethod.Get, "api/v1/user");
        Assert.Equal(HttpStatusCode.TooManyRequests, api.StatusCode);
    }

    [Fact]
    public async Task A_personal_access_token_does_not_sign_in_to_the_web()
    {
        var user = await site.NewUserAsync("erin");
        using var created = await site.Registry(user, WebSite.Password).SendAsync(HttpMethod.Post, "api/v1/user/tokens",
            new System.Text.Json.Nodes.JsonObject { ["name"] = "read-only", ["scopes"] = new System.Text.Json.Nodes.JsonArray("read") });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (string)System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["token"]!;

        // A read-only token must not become a session with every scope of its account.
        using var http = site.NewHttpClient();
        var cookies = new Dictionary<string, string>();
        var form = await Forms.GetAsync(http, "login", cookies);
        using var response = await Forms.PostAsync(http, "login", cookies, [new(Forms.TokenField, Forms.Token(form)), new("user", user), new("password", token)]);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(cookies.ContainsKey("berth_session"));
    }
}
