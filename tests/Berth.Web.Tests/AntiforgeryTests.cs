using System.Net;
using Berth.Web.Tests.Support;

namespace Berth.Web.Tests;

/// <summary>Every POST needs the form token of a page of this site, issued to the same signed-in account.</summary>
[Collection(WebCollection.Name)]
public sealed class AntiforgeryTests(WebSite site)
{
    [Fact]
    public async Task A_sign_in_without_the_form_token_is_refused()
    {
        using var http = site.NewHttpClient();
        var cookies = new Dictionary<string, string>();
        await Forms.GetAsync(http, "login", cookies); // the antiforgery cookie alone is not enough
        using var response = await Forms.PostAsync(http, "login", cookies, [new("user", site.Alice), new("password", WebSite.Password)]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This form has expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(cookies.ContainsKey("berth_session"));
    }

    [Fact]
    public async Task A_sign_out_forged_by_another_site_leaves_the_session_alone()
    {
        var user = await site.NewUserAsync("frank");
        using var http = site.NewHttpClient();
        var cookies = await Forms.SignInAsync(http, user, WebSite.Password);

        // What a cross-site form could send: the browser's cookies, but no token from one of our pages.
        using (var forged = await Forms.PostAsync(http, "logout", new(cookies), [new("scope", "all")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        Assert.Equal(user, Forms.SignedInAs(await Forms.GetAsync(http, "/", cookies)));

        // The real button works.
        var page = await Forms.GetAsync(http, "/", cookies);
        using (var signOut = await Forms.PostAsync(http, "logout", cookies, [new(Forms.TokenField, Forms.Token(page))]))
        {
            Assert.Equal(HttpStatusCode.Found, signOut.StatusCode);
        }

        Assert.Null(Forms.SignedInAs(await Forms.GetAsync(http, "/", cookies)));
    }

    [Fact]
    public async Task A_form_token_issued_to_one_account_does_not_work_in_another_accounts_session()
    {
        var mallory = await site.NewUserAsync("mallory");
        var victim = await site.NewUserAsync("victim");
        using var http = site.NewHttpClient();
        var malloryCookies = await Forms.SignInAsync(http, mallory, WebSite.Password);
        var victimCookies = await Forms.SignInAsync(http, victim, WebSite.Password);
        var malloryToken = Forms.Token(await Forms.GetAsync(http, "/", malloryCookies));

        // Mallory's valid token pair, sent with the victim's session cookie.
        var mixed = new Dictionary<string, string>(malloryCookies) { ["berth_session"] = victimCookies["berth_session"] };
        using (var response = await Forms.PostAsync(http, "logout", mixed, [new(Forms.TokenField, malloryToken), new("scope", "all")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(victim, Forms.SignedInAs(await Forms.GetAsync(http, "/", victimCookies)));
    }
}
