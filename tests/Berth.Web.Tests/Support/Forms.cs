using System.Net;
using System.Text.RegularExpressions;

namespace Berth.Web.Tests.Support;

/// <summary>Form posts the way a browser sends them, over plain HTTP with explicit cookies (to forge and mix them).</summary>
public static partial class Forms
{
    public const string TokenField = "_token";

    /// <summary>GETs a page with <paramref name="cookies"/>; its body and the cookies it set, merged into <paramref name="cookies"/>.</summary>
    public static async Task<string> GetAsync(HttpClient http, string path, Dictionary<string, string> cookies)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        AddCookies(request, cookies);
        using var response = await http.SendAsync(request);
        Merge(response, cookies);
        return await response.Content.ReadAsStringAsync();
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, Dictionary<string, string> cookies, IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        AddCookies(request, cookies);
        var response = await http.SendAsync(request);
        Merge(response, cookies);
        return response;
    }

    /// <summary>The form token in a page (the first form's: every form of a page carries the same one).</summary>
    public static string Token(string html)
    {
        var match = TokenInput().Match(html);
        Assert.True(match.Success, "the page has no form token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Signs in through the form; the cookies (session and antiforgery) of the signed-in browser.</summary>
    public static async Task<Dictionary<string, string>> SignInAsync(HttpClient http, string user, string password)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        var page = await GetAsync(http, "login", cookies);
        using var response = await PostAsync(http, "login", cookies, [new(TokenField, Token(page)), new("user", user), new("password", password)]);
        Assert.True(response.StatusCode == HttpStatusCode.Found, $"sign-in as {user}: {(int)response.StatusCode}");
        Assert.True(cookies.ContainsKey("berth_session"), "no session cookie after signing in");
        return cookies;
    }

    /// <summary>Who the page header says is signed in: the account link before "Sign out", or null.</summary>
    public static string? SignedInAs(string html)
    {
        var match = AccountLink().Match(html);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static void AddCookies(HttpRequestMessage request, Dictionary<string, string> cookies)
    {
        if (cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
        }
    }

    private static void Merge(HttpResponseMessage response, Dictionary<string, string> cookies)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }

        foreach (var value in values)
        {
            var pair = value.Split(';', 2)[0];
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = pair[..equals];
            var content = pair[(equals + 1)..];
            if (content.Length == 0 || value.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
            {
                cookies.Remove(name);
            }
            else
            {
                cookies[name] = content;
            }
        }
    }

    [GeneratedRegex("name=\"_token\" value=\"([^\"]*)\"")]
    private static partial Regex TokenInput();

    [GeneratedRegex("<nav aria-label=\"Account\">\\s*<a href=\"/u/([^\"]+)\">")]
    private static partial Regex AccountLink();
}
