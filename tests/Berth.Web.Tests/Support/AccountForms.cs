using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Berth.Web.Tests.Support;

/// <summary>The settings page's forms driven in a browser, and credential checks against the API and the token service.</summary>
public static partial class AccountForms
{
    public const string NewPassword = "N3wPassw0rd!-changed";

    /// <summary>Creates a token on <c>/settings</c> with the given scopes; the secret the answer page shows.</summary>
    public static async Task<string> CreateTokenAsync(IPage page, string name, params string[] scopes)
    {
        await page.GotoAsync("/settings");
        await page.FillAsync("#token-name", name);
        foreach (var word in new[] { "read", "write", "delete", "admin" })
        {
            await page.Locator($"#token-scope-{word}").SetCheckedAsync(scopes.Contains(word));
        }

        await page.ClickAsync("form[action='/settings/tokens'] button[type=submit]");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Token created");
        var secret = (await page.Locator("#token-secret").TextContentAsync())!.Trim();
        Assert.StartsWith("berth_pat_", secret, StringComparison.Ordinal);
        return secret;
    }

    /// <summary>Clicks the revoke button of the token named <paramref name="name"/> and waits for the settings page again.</summary>
    public static async Task RevokeAsync(IPage page, string name)
    {
        await page.Locator("table.tokens tbody tr").Filter(new() { HasText = name }).GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Revoke") }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/settings\\?done="));
    }

    /// <summary>HTTP Basic against <c>/api/v1/user</c>: 200 when the credentials are good.</summary>
    public static async Task<HttpStatusCode> ApiStatusAsync(HttpClient http, string user, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user");
        request.Headers.Authorization = Basic(user, secret);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The token service (<c>GET /token</c> with HTTP Basic, as docker and podman ask it): 200 when the credentials are good.</summary>
    public static async Task<HttpStatusCode> TokenServiceStatusAsync(HttpClient http, string user, string secret)
    {
        using var challenge = await http.GetAsync("v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var header = challenge.Headers.WwwAuthenticate.ToString();
        var realm = Realm().Match(header).Groups[1].Value;
        var service = Service().Match(header).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(realm), $"no realm in '{header}'");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{realm}?service={Uri.EscapeDataString(service)}&account={Uri.EscapeDataString(user)}");
        request.Headers.Authorization = Basic(user, secret);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Signs in through the login form over plain HTTP; the status (302 signed in, 401 refused).</summary>
    public static async Task<HttpStatusCode> WebSignInStatusAsync(HttpClient http, string user, string password)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        var form = await Forms.GetAsync(http, "login", cookies);
        using var response = await Forms.PostAsync(http, "login", cookies, [new(Forms.TokenField, Forms.Token(form)), new("user", user), new("password", password)]);
        return response.StatusCode;
    }

    /// <summary>The audit log through the API as the site admin: the newest <paramref name="count"/> entries.</summary>
    public static async Task<JsonArray> AuditAsync(WebSite site, int count = 100)
    {
        using var response = await site.Registry("admin", WebSite.AdminPassword).SendAsync(HttpMethod.Get, $"api/v1/audit?n={count}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (JsonArray)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>The part of a page between <c>&lt;main</c> and <c>&lt;/main&gt;</c> (the header differs per visitor and carries a fresh form token).</summary>
    public static string MainOf(string html)
    {
        var start = html.IndexOf("<main", StringComparison.Ordinal);
        var end = html.IndexOf("</main>", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the page has no main element");
        return html[start..end];
    }

    private static AuthenticationHeaderValue Basic(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));

    [GeneratedRegex("realm=\"([^\"]+)\"")]
    private static partial Regex Realm();

    [GeneratedRegex("service=\"([^\"]*)\"")]
    private static partial Regex Service();
}
