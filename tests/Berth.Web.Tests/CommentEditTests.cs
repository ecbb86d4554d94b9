using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// Editing one's comment and previewing Markdown (with and without script), through the same comment service as the
/// API's PATCH: another user's comment cannot be edited, a hidden repository's is a 404, and two browsers saving the
/// same comment at once leave one of their texts whole. The new pages pass axe, render without script and are
/// screenshotted.
/// </summary>
[Collection(SettingsWebCollection.Name)]
public sealed class CommentEditTests(WebSite site)
{
    [Fact]
    public async Task An_author_edits_their_comment_from_the_repository_page()
    {
        var user = await site.NewUserAsync("edith");
        var repository = await NewRepositoryAsync(user);
        var id = await CommentAsync(user, repository, $"First draft by {user}");
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        await page.GotoAsync($"/r/{repository}");
        await page.ClickAsync($"#comment-{id} a:text-is('Edit')");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync($"Edit comment {id}");
        Assert.Equal($"First draft by {user}", await page.InputValueAsync("#comment-body"));

        await page.FillAsync("#comment-body", $"Second **draft** by {user}");
        await page.ClickAsync("form.comment-form button[value=save]");
        await page.WaitForURLAsync($"**/r/{repository}#comment-{id}");
        var comment = page.Locator($"#comment-{id}");
        await Assertions.Expect(comment.Locator(".markdown strong")).ToHaveTextAsync("draft");
        await Assertions.Expect(comment.Locator(".meta")).ToContainTextAsync("(edited)");
        Assert.Equal($"Second **draft** by {user}", await BodyAsync(user, repository, id));
    }

    [Fact]
    public async Task Another_users_comment_cannot_be_edited_and_a_hidden_repositorys_is_not_found()
    {
        var author = await site.NewUserAsync("auth");
        var owner = await site.NewUserAsync("own");
        var repository = await NewRepositoryAsync(owner);
        var id = await CommentAsync(author, repository, "Mine, not Bob's");
        var secret = await CommentAsync(site.Alice, site.PrivateRepository, "Private words");
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, site.Bob);

        // No edit link for him, and the form is refused as the API refuses PATCH: 403.
        await page.GotoAsync($"/r/{repository}");
        Assert.Equal(0, await page.Locator($"#comment-{id} a:text-is('Edit')").CountAsync());
        var form = await page.GotoAsync(EditUrl(repository, id));
        Assert.Equal(403, form!.Status);
        Assert.Equal(0, await page.Locator("#comment-body").CountAsync());

        await page.GotoAsync($"/r/{repository}");
        var token = (await page.GetAttributeAsync("form.comment-form input[name=_token]", "value"))!;
        var forged = await page.APIRequest.PostAsync(EditUrl(repository, id), new() { Form = Form(page, ("_token", token), ("body", "Bob was here"), ("action", "save")), MaxRedirects = 0 });
        Assert.Equal(403, forged.Status);
        var peek = await page.APIRequest.PostAsync(EditUrl(repository, id), new() { Form = Form(page, ("_token", token), ("body", "x"), ("action", "preview")), MaxRedirects = 0 });
        Assert.Equal(403, peek.Status);
        Assert.Equal("Mine, not Bob's", await BodyAsync(owner, repository, id));

        // A private repository he may not read: the same 404 as an absent one, for the form and the post.
        var hidden = await page.GotoAsync(EditUrl(site.PrivateRepository, secret));
        Assert.Equal(404, hidden!.Status);
        var hiddenText = await ErrorTextAsync(hidden);
        var absent = await page.GotoAsync(EditUrl($"{site.Alice}/no-such-repository", secret));
        Assert.Equal(404, absent!.Status);
        Assert.Equal(await ErrorTextAsync(absent), hiddenText);
        var post = await page.APIRequest.PostAsync(EditUrl(site.PrivateRepository, secret), new() { Form = Form(page, ("_token", token), ("body", "Bob was here")), MaxRedirects = 0 });
        Assert.Equal(404, post.Status);
        var preview = await page.APIRequest.PostAsync($"/r/{site.PrivateRepository}/-/comments/preview", new() { Form = Form(page, ("_token", token), ("body", "x")), MaxRedirects = 0 });
        Assert.Equal(404, preview.Status);

        // Signed out, the form asks for a sign-in first.
        await using var anonymous = await site.NewContextAsync();
        var visitor = await anonymous.NewPageAsync();
        await visitor.GotoAsync(EditUrl(repository, id));
        await Assertions.Expect(visitor.Locator("main h1")).ToHaveTextAsync("Sign in");
    }

    [Fact]
    public async Task Preview_without_JavaScript_renders_the_Markdown_safely_and_keeps_the_text()
    {
        var user = await site.NewUserAsync("prev");
        var repository = await NewRepositoryAsync(user);
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        await page.GotoAsync($"/r/{repository}");
        var text = $"Looks **good** to {user}\n\n<script>document.title='pwned'</script>";
        await page.FillAsync("#comment-body", text);
        await page.ClickAsync("form.comment-form button[value=preview]");

        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("New comment");
        var preview = page.Locator(".comment-preview");
        await Assertions.Expect(preview).ToBeVisibleAsync();
        await Assertions.Expect(preview.Locator("strong")).ToHaveTextAsync("good");
        await Assertions.Expect(preview).ToContainTextAsync("<script>document.title='pwned'</script>");
        Assert.Equal(0, await preview.Locator("script").CountAsync());
        Assert.Equal(text, (await page.InputValueAsync("#comment-body")).Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(0, await CountCommentsAsync(user, repository, user));

        // The kept text is then posted from the preview page, and the edit page previews the same way.
        await page.ClickAsync("form.comment-form button[value=save]");
        var mine = page.Locator("li.comment", new() { HasText = $"to {user}" });
        await Assertions.Expect(mine.Locator(".markdown strong")).ToHaveTextAsync("good");
        var id = long.Parse((await mine.GetAttributeAsync("id"))!["comment-".Length..], CultureInfo.InvariantCulture);
        await page.GotoAsync(EditUrl(repository, id));
        await page.FillAsync("#comment-body", "Now *better*");
        await page.ClickAsync("form.comment-form button[value=preview]");
        await Assertions.Expect(page.Locator(".comment-preview em")).ToHaveTextAsync("better");
        Assert.Equal("Now *better*", await page.InputValueAsync("#comment-body"));
        Assert.Equal(text, (await BodyAsync(user, repository, id)).Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Preview_with_JavaScript_renders_in_place()
    {
        var user = await site.NewUserAsync("live");
        var repository = await NewRepositoryAsync(user);
        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Add(message.Text);
            }
        };
        await WebSite.SignInAsync(page, user);
        await page.GotoAsync($"/r/{repository}");
        await page.EvaluateAsync("() => { window.samePage = true; }");
        await Assertions.Expect(page.Locator(".comment-preview")).ToBeHiddenAsync();
        await page.FillAsync("#comment-body", "An `inline` idea <b>raw</b>");
        await page.ClickAsync("form.comment-form button[value=preview]");

        var preview = page.Locator(".comment-preview");
        await Assertions.Expect(preview.Locator("code")).ToHaveTextAsync("inline");
        await Assertions.Expect(preview).ToContainTextAsync("<b>raw</b>");
        Assert.Equal(0, await preview.Locator("b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.samePage === true"), "the preview reloaded the page");
        Assert.EndsWith($"/r/{repository}", page.Url, StringComparison.Ordinal);
        Assert.Equal("An `inline` idea <b>raw</b>", await page.InputValueAsync("#comment-body"));
        Assert.Equal(0, await CountCommentsAsync(user, repository, user));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Two_browsers_saving_the_same_comment_at_once_leave_one_text_intact()
    {
        var user = await site.NewUserAsync("twin");
        var repository = await NewRepositoryAsync(user);
        var id = await CommentAsync(user, repository, "Original");
        var texts = new[] { $"From the left: {new string('L', 3000)}", $"From the right: {new string('R', 3000)}" };
        var contexts = new List<IBrowserContext>();
        try
        {
            var pages = new List<IPage>();
            foreach (var text in texts)
            {
                var context = await site.NewContextAsync();
                contexts.Add(context);
                var page = await context.NewPageAsync();
                await WebSite.SignInAsync(page, user);
                await page.GotoAsync(EditUrl(repository, id));
                await page.FillAsync("#comment-body", text);
                pages.Add(page);
            }

            await Task.WhenAll(pages.Select(p => p.ClickAsync("form.comment-form button[value=save]")));
            foreach (var page in pages)
            {
                await page.WaitForURLAsync($"**/r/{repository}#comment-{id}");
            }

            var body = await BodyAsync(user, repository, id);
            Assert.Contains(body, texts);
            foreach (var page in pages)
            {
                await page.ReloadAsync();
                await Assertions.Expect(page.Locator($"#comment-{id} .markdown")).ToHaveTextAsync(body);
            }
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_edit_and_preview_pages_pass_axe_render_without_script_and_are_screenshotted()
    {
        var user = await site.NewUserAsync("look");
        var repository = await NewRepositoryAsync(user);
        var id = await CommentAsync(user, repository, "# A heading\n\nSome *Markdown* with a [link](https://example.com).");
        var pages = new (string Name, Func<IPage, Task> Open)[]
        {
            ("comment-edit", p => p.GotoAsync(EditUrl(repository, id))),
            ("comment-edit-preview", async p =>
            {
                await p.GotoAsync(EditUrl(repository, id));
                await p.ClickAsync("form.comment-form button[value=preview]");
                await Assertions.Expect(p.Locator(".comment-preview h3")).ToHaveTextAsync("A heading");
            }),
            ("comment-new-preview", async p =>
            {
                await p.GotoAsync($"/r/{repository}");
                await p.FillAsync("#comment-body", "A **new** comment\n\n- one\n- two");
                await p.ClickAsync("form.comment-form button[value=preview]");
                await Assertions.Expect(p.Locator(".comment-preview strong")).ToHaveTextAsync("new");
            }),
        };

        var failures = new List<string>();
        await using (var context = await site.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            await WebSite.SignInAsync(page, user);
            foreach (var (name, open) in pages)
            {
                await open(page);
                failures.AddRange((await Axe.SeriousViolationsAsync(page)).Select(v => $"{name}: {v}"));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Screenshots without script: the pages as the server renders them (the previews included) at both widths.
        foreach (var (width, height, label) in new[] { (1280, 900, "desktop"), (390, 844, "phone") })
        {
            await using var context = await site.NewContextAsync(javaScript: false, width: width, height: height);
            var page = await context.NewPageAsync();
            await WebSite.SignInAsync(page, user);
            foreach (var (name, open) in pages)
            {
                await open(page);
                await Assertions.Expect(page.Locator("main h1")).ToBeVisibleAsync();
                var path = Path.Combine(WebSite.ResultsDirectory, $"{name}-{label}.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
                Assert.True(new FileInfo(path).Length > 1000, $"{path} is empty");
                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.True(overflow <= 0, $"{name} at {width} px is {overflow} px too wide");
            }
        }
    }

    private static string EditUrl(string repository, long id) => $"/r/{repository}/-/comments/{id.ToString(CultureInfo.InvariantCulture)}/edit";

    private async Task<long> CommentAsync(string user, string repository, string body)
    {
        using var response = await site.Registry(user, WebSite.Password).SendAsync(HttpMethod.Post, $"api/v1/repositories/{repository}/-/comments", new JsonObject { ["body"] = body });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();
    }

    /// <summary>A new public repository of <paramref name="owner"/>'s (created through the API, no image needed), so comments stay out of other tests' pages.</summary>
    private async Task<string> NewRepositoryAsync(string owner)
    {
        var name = $"{owner}/talk";
        await site.Registry(owner, WebSite.Password).ApiAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = name, ["visibility"] = "public" }, HttpStatusCode.Created);
        return name;
    }

    /// <summary>The comment's Markdown as the API gives it to <paramref name="reader"/>.</summary>
    private async Task<string> BodyAsync(string reader, string repository, long id) =>
        (await CommentsAsync(reader, repository)).Single(c => c!["id"]!.GetValue<long>() == id)!["body"]!.GetValue<string>();

    private async Task<int> CountCommentsAsync(string reader, string repository, string author) =>
        (await CommentsAsync(reader, repository)).Count(c => c!["author"]!.GetValue<string>() == author);

    private async Task<JsonArray> CommentsAsync(string reader, string repository)
    {
        using var response = await site.Registry(reader, WebSite.Password).SendAsync(HttpMethod.Get, $"api/v1/repositories/{repository}/-/comments?n=100");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (JsonArray)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<string> ErrorTextAsync(IResponse response) =>
        System.Text.RegularExpressions.Regex.Replace(await response.TextAsync(), "name=\"_token\" value=\"[^\"]*\"", "");

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
