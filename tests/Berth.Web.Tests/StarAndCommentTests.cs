using System.Net;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>Starring and commenting from the repository page; nobody deletes another's comment; nothing reaches a hidden repository.</summary>
[Collection(SettingsWebCollection.Name)]
public sealed class StarAndCommentTests(WebSite site)
{
    [Fact]
    public async Task A_user_stars_unstars_comments_and_deletes_their_comment()
    {
        var user = await site.NewUserAsync("gina");
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        await page.GotoAsync($"/r/{site.PublicRepository}");
        var stars = int.Parse(await page.InnerTextAsync("[data-stat=stars]"), System.Globalization.CultureInfo.InvariantCulture);

        await page.ClickAsync("form.star button");
        await Assertions.Expect(page.Locator("form.star button")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator("[data-stat=stars]")).ToHaveTextAsync((stars + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("form.star button");
        await Assertions.Expect(page.Locator("form.star button")).ToHaveAttributeAsync("aria-pressed", "false");
        await Assertions.Expect(page.Locator("[data-stat=stars]")).ToHaveTextAsync(stars.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var text = $"Works **well** for {user} <img src=x onerror=alert(1)>";
        await page.FillAsync("#comment-body", text);
        await page.ClickAsync("form.comment-form button[type=submit]");
        var mine = page.Locator("li.comment", new() { HasText = user });
        await Assertions.Expect(mine.Locator(".markdown strong")).ToHaveTextAsync("well");
        Assert.Equal(0, await mine.Locator(".markdown img").CountAsync());

        // Bob sees it but has no delete button, and a forged delete is refused.
        await using var other = await site.NewContextAsync();
        var bobPage = await other.NewPageAsync();
        await WebSite.SignInAsync(bobPage, site.Bob);
        await bobPage.GotoAsync($"/r/{site.PublicRepository}");
        var theirs = bobPage.Locator("li.comment", new() { HasText = user });
        await Assertions.Expect(theirs).ToHaveCountAsync(1);
        Assert.Equal(0, await theirs.Locator("button").CountAsync());
        var id = (await theirs.GetAttributeAsync("id"))!["comment-".Length..];
        var token = await bobPage.GetAttributeAsync("form.comment-form input[name=_token]", "value");
        var forged = await bobPage.APIRequest.PostAsync($"/r/{site.PublicRepository}/-/comments/{id}/delete", new() { Form = Form(bobPage, ("_token", token!)), MaxRedirects = 0 });
        Assert.Equal(403, forged.Status);

        await mine.Locator("button:text-is('Delete')").ClickAsync();
        await Assertions.Expect(page.Locator("li.comment", new() { HasText = user })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Starring_or_commenting_on_a_private_repository_one_may_not_see_is_a_404()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, site.Bob);
        await page.GotoAsync($"/r/{site.PublicRepository}");
        var token = await page.GetAttributeAsync("form.comment-form input[name=_token]", "value");
        foreach (var (path, field) in new[] { ("star", ("action", "star")), ("comments", ("body", "hello")) })
        {
            var response = await page.APIRequest.PostAsync($"/r/{site.PrivateRepository}/-/{path}", new() { Form = Form(page, ("_token", token!), field), MaxRedirects = 0 });
            Assert.Equal(404, response.Status);
        }

        using var owner = await site.Registry(site.Alice, WebSite.Password).SendAsync(HttpMethod.Get, $"api/v1/repositories/{site.PrivateRepository}/-/comments");
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.DoesNotContain("hello", await owner.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_visitor_is_sent_to_sign_in()
    {
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/r/{site.PublicRepository}");
        Assert.Equal(0, await page.Locator("form.star").CountAsync());
        await page.ClickAsync("section.comments >> text=Sign in");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
    }

    private static IFormData Form(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}
