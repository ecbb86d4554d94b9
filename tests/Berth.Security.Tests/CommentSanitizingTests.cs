using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Comments are Markdown rendered to HTML that the UI shows as is: the rendering must never carry script, event
/// handlers, dangerous URLs or raw HTML, whatever the author typed.
/// </summary>
public sealed partial class CommentSanitizingTests(TokenServiceFixture fixture) : IClassFixture<TokenServiceFixture>
{
    private static readonly string[] ForbiddenElements =
        ["script", "iframe", "frame", "svg", "math", "style", "object", "embed", "details", "form", "input", "base", "meta", "link"];

    public static TheoryData<string> Attacks() =>
    [
        "<script>alert(1)</script>hello",
        "[click](javascript:alert(1)) [c2](JaVaScRiPt:alert(1)) [c3](&#106;avascript:alert(1)) [c4](java&#x09;script:alert(1))",
        "<img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\" onclick=\"x()\">a</a>",
        "<iframe src=\"https://evil.example\"></iframe> <svg onload=alert(1)></svg> <style>body{display:none}</style>",
        "![x](javascript:alert(1)) <details open ontoggle=alert(1)>x</details> [d](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox(1)) <math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<a href=\"https://ok.example\" style=\"position:fixed\" onmouseover=\"alert(1)\">styled</a> <object data=x></object> <embed src=x>",
        "```html\n<script>alert(1)</script>\n```\n`<img src=x onerror=alert(1)>`",
        "[ref]\n\n[ref]: javascript:alert(1)",
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Rendered_comments_carry_no_script(string markdown)
    {
        using var response = await fixture.Alice.SendAsync(HttpMethod.Post, $"api/v1/repositories/{fixture.AliceRepo}/-/comments", new JsonObject { ["body"] = markdown });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var comment = await Json.ReadAsync(response);
        Assert.Equal(markdown, (string?)comment["body"]); // the source is kept as typed
        var html = (string)comment["html"]!;
        foreach (Match tag in Tag().Matches(html))
        {
            var name = tag.Groups["name"].Value.ToLowerInvariant();
            Assert.DoesNotContain(name, ForbiddenElements);
            foreach (Match attribute in Attribute().Matches(tag.Groups["attributes"].Value))
            {
                var attributeName = attribute.Groups["name"].Value.ToLowerInvariant();
                var value = WebUtility.HtmlDecode(attribute.Groups["value"].Value).Trim().ToLowerInvariant();
                Assert.False(attributeName.StartsWith("on", StringComparison.Ordinal) || attributeName == "style", $"<{name} {attributeName}=…> in {html}");
                if (attributeName is "href" or "src")
                {
                    var scheme = Regex.Replace(value, @"[\s\x00-\x1f]", "");
                    Assert.False(scheme.StartsWith("javascript:", StringComparison.Ordinal) || scheme.StartsWith("vbscript:", StringComparison.Ordinal) || scheme.StartsWith("data:", StringComparison.Ordinal),
                        $"<{name} {attributeName}=\"{value}\"> in {html}");
                }
            }
        }
    }

    [GeneratedRegex(@"<\s*(?<name>[a-zA-Z][a-zA-Z0-9]*)(?<attributes>[^>]*)>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"(?<name>[^\s=/""']+)\s*=\s*(?:""(?<value>[^""]*)""|'(?<value>[^']*)'|(?<value>[^\s>]+))")]
    private static partial Regex Attribute();
}
