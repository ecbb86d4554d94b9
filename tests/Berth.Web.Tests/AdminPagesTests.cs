using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary><c>/admin/users</c> and <c>/admin/audit</c>: the site admin's, and the not-found page for everyone else.</summary>
[Collection(SettingsWebCollection.Name)]
public sealed class AdminPagesTests(WebSite site)
{
    private static readonly string[] AdminUrls = ["admin/users", "admin/audit", "admin/users?page=2", "admin", "admin/no-such-page"];

    [Fact]
    public async Task Admin_pages_are_the_not_found_page_for_anonymous_visitors_and_other_users()
    {
        using var http = site.NewHttpClient();
        var anonymous = new Dictionary<string, string>(StringComparer.Ordinal);
        var absent = AccountForms.MainOf(await Forms.GetAsync(http, $"u/no-such-user-{site.Suffix}", anonymous));
        Assert.Contains("Not found", absent, StringComparison.Ordinal);

        var bob = await Forms.SignInAsync(http, site.Bob, WebSite.Password);
        foreach (var (who, cookies) in new[] { ("anonymous", anonymous), ("bob", bob) })
        {
            foreach (var url in AdminUrls)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (cookies.Count > 0)
                {
                    request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
                }

                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url} as {who}: {(int)response.StatusCode}");
                Assert.Equal(absent, AccountForms.MainOf(await response.Content.ReadAsStringAsync()));
            }
        }

        // Bob's header offers settings, not administration; his well-formed form to create an account is not acted on.
        var home = await Forms.GetAsync(http, "/", bob);
        Assert.Contains("href=\"/settings\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/admin/users\"", home, StringComparison.Ordinal);
        var name = $"mallory{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        using var forged = await Forms.PostAsync(http, "admin/users", bob,
            [new(Forms.TokenField, Forms.Token(home)), new("name", name), new("password", WebSite.Password), new("confirm", WebSite.Password), new("admin", "on")]);
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.Equal(absent, AccountForms.MainOf(await forged.Content.ReadAsStringAsync()));
        using var lookup = await http.GetAsync($"api/v1/users/{name}");
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task The_site_admin_lists_users_creates_an_account_and_finds_it_in_the_audit_log()
    {
        // An organisation, named to sort before every user, so it is on the first page however many accounts the tests made.
        var organization = $"aaorg{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        await site.Registry(site.Alice, WebSite.Password).ApiAsync(HttpMethod.Post, "api/v1/orgs", new System.Text.Json.Nodes.JsonObject { ["name"] = organization }, HttpStatusCode.Created);

        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, "admin", WebSite.AdminPassword);
        await page.ClickAsync("header nav[aria-label=Account] a[href='/admin/users']");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Users and organisations");
        var adminRow = page.Locator("table.directory tbody tr").Filter(new() { Has = page.Locator("th a", new() { HasTextRegex = new Regex("^admin$") }) });
        await Assertions.Expect(adminRow).ToContainTextAsync("yes");
        var aliceRow = page.Locator("table.directory tbody tr").Filter(new() { Has = page.Locator("th a", new() { HasTextString = site.Alice }) });
        await Assertions.Expect(aliceRow).ToContainTextAsync("user");
        await Assertions.Expect(aliceRow).ToContainTextAsync("no");
        var organizationRow = page.Locator("table.directory tbody tr").Filter(new() { Has = page.Locator("th a", new() { HasTextString = organization }) });
        await Assertions.Expect(organizationRow).ToContainTextAsync("organisation");

        // An action the API offers administrators: create an account.
        var name = $"carol{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        await page.FillAsync("#account-name", name);
        await page.FillAsync("#account-email", $"{name}@example.org");
        await page.FillAsync("#account-password", WebSite.Password);
        await page.FillAsync("#account-confirm", WebSite.Password);
        await page.ClickAsync("form[action='/admin/users'] button[type=submit]");
        await page.WaitForURLAsync(new Regex("/admin/users\\?done=created$"));
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("created");
        using var http = site.NewHttpClient();
        Assert.Equal(HttpStatusCode.OK, await AccountForms.ApiStatusAsync(http, name, WebSite.Password));

        // The same name again is refused with the service's reason, the form kept.
        await page.FillAsync("#account-name", name);
        await page.FillAsync("#account-password", WebSite.Password);
        await page.FillAsync("#account-confirm", WebSite.Password);
        await page.ClickAsync("form[action='/admin/users'] button[type=submit]");
        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("is taken");

        await page.ClickAsync("nav[aria-label=Administration] a[href='/admin/audit']");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Audit log");
        var entry = page.Locator("table.audit tbody tr").Filter(new() { HasText = "account.created" }).Filter(new() { HasText = name });
        await Assertions.Expect(entry).ToHaveCountAsync(1);
        await Assertions.Expect(entry).ToContainTextAsync("admin");

        // Paging: past the last page and nonsense page numbers are the not-found page.
        foreach (var url in new[] { "/admin/users?page=9999", "/admin/users?page=0", "/admin/audit?page=x", "/admin/audit?page=999999" })
        {
            var response = await page.GotoAsync(url);
            Assert.True(response!.Status == 404, $"{url}: {response.Status}");
        }
    }
}
