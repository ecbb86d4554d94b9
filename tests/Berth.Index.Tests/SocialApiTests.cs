using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Index.Tests.Support;

namespace Berth.Index.Tests;

public sealed partial class SocialApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task Stars_count_and_make_the_starred_list()
    {
        var owner = await site.CreateUserAsync();
        var fan = await site.CreateUserAsync();
        var name = $"{owner.Name}/popular";
        await owner.CreateRepositoryAsync(name, visibility: "public");

        (await site.Anonymous.PutAsync($"api/v1/repositories/{name}/-/star")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await fan.PutAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);
        (await fan.PutAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);
        (await owner.PutAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);

        var seen = await fan.GetJsonAsync($"api/v1/repositories/{name}");
        Assert.Equal(2, (long)seen["starCount"]!);
        Assert.True((bool)seen["starred"]!);
        Assert.False((bool)(await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}"))["starred"]!);

        var starred = await fan.GetJsonAsync("api/v1/user/starred");
        var entry = Assert.Single(starred.AsArray())!;
        Assert.Equal(name, (string?)entry["name"]);
        Assert.Equal(2, (long)entry["starCount"]!);
        (await site.Anonymous.GetAsync("api/v1/user/starred")).ExpectProblem(HttpStatusCode.Unauthorized);

        (await fan.DeleteAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);
        (await fan.DeleteAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);
        Assert.Empty((await fan.GetJsonAsync("api/v1/user/starred")).AsArray());
        Assert.Equal(1, (long)(await fan.GetJsonAsync($"api/v1/repositories/{name}"))["starCount"]!);
    }

    [Fact]
    public async Task Private_repositories_cannot_be_starred_or_discussed_by_outsiders_and_vanish_from_starred_lists()
    {
        var owner = await site.CreateUserAsync();
        var outsider = await site.CreateUserAsync();
        var name = $"{owner.Name}/hidden";
        await owner.CreateRepositoryAsync(name, visibility: "public");
        (await outsider.PutAsync($"api/v1/repositories/{name}/-/star")).Expect(HttpStatusCode.NoContent);
        var comment = await CommentAsync(outsider, name, "nice");

        (await owner.PatchAsync($"api/v1/repositories/{name}", new JsonObject { ["visibility"] = "private" })).Expect(HttpStatusCode.OK);
        (await outsider.PutAsync($"api/v1/repositories/{name}/-/star")).ExpectProblem(HttpStatusCode.NotFound);
        (await outsider.GetAsync($"api/v1/repositories/{name}/-/comments")).ExpectProblem(HttpStatusCode.NotFound);
        (await outsider.PostAsync($"api/v1/repositories/{name}/-/comments", new JsonObject { ["body"] = "hello?" })).ExpectProblem(HttpStatusCode.NotFound);
        (await outsider.DeleteAsync($"api/v1/repositories/{name}/-/comments/{comment}")).ExpectProblem(HttpStatusCode.NotFound);
        Assert.Empty((await outsider.GetJsonAsync("api/v1/user/starred")).AsArray());
    }

    [Fact]
    public async Task Comments_render_markdown_and_strip_everything_active()
    {
        var owner = await site.CreateUserAsync();
        var name = $"{owner.Name}/talk";
        await owner.CreateRepositoryAsync(name, visibility: "public");

        const string body = """
            # Title
            Some **bold** and a [link](https://example.com/docs).

            <script>alert('x')</script>
            <img src=x onerror="alert(1)">
            <iframe src="https://evil.example"></iframe>
            [click](javascript:alert(document.cookie))
            ![pic](javascript:alert(2))
            """;
        var created = (await owner.PostAsync($"api/v1/repositories/{name}/-/comments", new JsonObject { ["body"] = body }))
            .Expect(HttpStatusCode.Created);
        var comment = created.Json!.AsObject();
        Assert.Equal(
            new[] { "author", "body", "createdAt", "html", "id", "updatedAt" },
            comment.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(body, (string?)comment["body"]);
        Assert.Equal(owner.Name, (string?)comment["author"]);
        Assert.Null(comment["updatedAt"]);
        Assert.Equal($"/api/v1/repositories/{name}/-/comments/{(long)comment["id"]!}", created.Headers.Location?.OriginalString);

        var html = (string)comment["html"]!;
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.com/docs\"", html, StringComparison.Ordinal);
        AssertInert(html);
    }

    [Fact]
    public async Task Comments_are_listed_oldest_first_and_changed_only_by_their_author_or_a_repository_admin()
    {
        var owner = await site.CreateUserAsync("owner");
        var alice = await site.CreateUserAsync("alice");
        var bob = await site.CreateUserAsync("bob");
        var name = $"{owner.Name}/forum";
        await owner.CreateRepositoryAsync(name, visibility: "public");

        (await site.Anonymous.PostAsync($"api/v1/repositories/{name}/-/comments", new JsonObject { ["body"] = "anon" })).ExpectProblem(HttpStatusCode.Unauthorized);
        var first = await CommentAsync(alice, name, "first");
        var second = await CommentAsync(bob, name, "second");
        var third = await CommentAsync(alice, name, "third");

        var listed = await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}/-/comments");
        Assert.Equal(new[] { "first", "second", "third" }, listed.AsArray().Select(c => (string?)c!["body"]));
        Assert.Equal(new[] { "second" }, (await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}/-/comments?n=1&page=2")).AsArray().Select(c => (string?)c!["body"]));
        Assert.Equal(3, (long)(await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}"))["commentCount"]!);

        (await bob.PatchAsync($"api/v1/repositories/{name}/-/comments/{first}", new JsonObject { ["body"] = "hijacked" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await bob.DeleteAsync($"api/v1/repositories/{name}/-/comments/{first}")).ExpectProblem(HttpStatusCode.Forbidden);

        var edited = (await alice.PatchAsync($"api/v1/repositories/{name}/-/comments/{first}", new JsonObject { ["body"] = "first, *edited*" }))
            .Expect(HttpStatusCode.OK).Json!;
        Assert.Equal("first, *edited*", (string?)edited["body"]);
        Assert.Contains("<em>edited</em>", (string)edited["html"]!, StringComparison.Ordinal);
        Assert.NotNull((string?)edited["updatedAt"]);

        (await owner.PatchAsync($"api/v1/repositories/{name}/-/comments/{second}", new JsonObject { ["body"] = "moderated" })).Expect(HttpStatusCode.OK);
        (await owner.DeleteAsync($"api/v1/repositories/{name}/-/comments/{second}")).Expect(HttpStatusCode.NoContent);
        (await alice.DeleteAsync($"api/v1/repositories/{name}/-/comments/{third}")).Expect(HttpStatusCode.NoContent);
        (await alice.DeleteAsync($"api/v1/repositories/{name}/-/comments/{third}")).ExpectProblem(HttpStatusCode.NotFound);
        (await alice.PatchAsync($"api/v1/repositories/{name}/-/comments/999999", new JsonObject { ["body"] = "x" })).ExpectProblem(HttpStatusCode.NotFound);

        Assert.Equal(new[] { "first, *edited*" }, (await site.Anonymous.GetJsonAsync($"api/v1/repositories/{name}/-/comments")).AsArray().Select(c => (string?)c!["body"]));

        var audit = (await site.Admin.GetJsonAsync("api/v1/audit?n=100")).AsArray();
        Assert.Contains(audit, e => (string?)e!["action"] == "comment.deleted" && (string?)e["actor"] == owner.Name && (string?)e["target"] == name);
        Assert.Contains(audit, e => (string?)e!["action"] == "comment.deleted" && (string?)e["actor"] == alice.Name && (string?)e["target"] == name);
    }

    [Fact]
    public async Task Comments_must_have_a_body_within_the_limit_and_belong_to_their_repository()
    {
        var owner = await site.CreateUserAsync();
        var a = $"{owner.Name}/a";
        var b = $"{owner.Name}/b";
        await owner.CreateRepositoryAsync(a, visibility: "public");
        await owner.CreateRepositoryAsync(b, visibility: "public");

        (await owner.PostAsync($"api/v1/repositories/{a}/-/comments", new JsonObject { ["body"] = "  " })).ExpectProblem(HttpStatusCode.BadRequest);
        (await owner.PostAsync($"api/v1/repositories/{a}/-/comments", new JsonObject { ["body"] = new string('x', 20_001) })).ExpectProblem(HttpStatusCode.BadRequest);
        (await owner.PostAsync($"api/v1/repositories/{a}/-/comments", new JsonObject())).ExpectProblem(HttpStatusCode.BadRequest);
        await CommentAsync(owner, a, new string('x', 20_000));

        var id = await CommentAsync(owner, a, "on a");
        (await owner.DeleteAsync($"api/v1/repositories/{b}/-/comments/{id}")).ExpectProblem(HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Parsed as a browser would: no script, iframe, style, svg or object element; no event-handler or style
    /// attribute; every URL http(s) or mailto. Raw HTML shown as text is inert and allowed.
    /// </summary>
    internal static void AssertInert(string html)
    {
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument($"<body>{html}</body>");
        foreach (var element in document.Body!.QuerySelectorAll("*"))
        {
            Assert.DoesNotContain(element.LocalName, new[] { "script", "iframe", "style", "svg", "object", "embed", "form", "input", "div" });
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{attribute.Name} on <{element.LocalName}>");
                Assert.NotEqual("style", attribute.Name);
                if (attribute.Name is "href" or "src")
                {
                    Assert.Matches(SafeUrl(), attribute.Value);
                }
            }
        }
    }

    private static async Task<long> CommentAsync(ApiCaller caller, string repository, string body) =>
        (long)(await caller.PostAsync($"api/v1/repositories/{repository}/-/comments", new JsonObject { ["body"] = body })).Expect(HttpStatusCode.Created).Json!["id"]!;

    [GeneratedRegex("^(https?://|mailto:)", RegexOptions.IgnoreCase)]
    private static partial Regex SafeUrl();
}
