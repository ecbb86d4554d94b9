using Berth.Index.Social;

namespace Berth.Index.Tests;

public sealed class CommentRendererTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("[x](javascript:alert(1))")]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x](  javascript:alert(1))")]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>")]
    [InlineData("<div style=\"position:fixed\" onclick=\"x()\">hi</div>")]
    [InlineData("<svg><script>alert(1)</script></svg>")]
    [InlineData("[x](vbscript:msgbox)")]
    [InlineData("<https://example.com\" onmouseover=\"alert(1)>")]
    public void Active_content_never_survives(string markdown)
    {
        SocialApiTests.AssertInert(CommentRenderer.ToHtml(markdown));
    }

    [Fact]
    public void Raw_html_is_shown_as_text()
    {
        var html = CommentRenderer.ToHtml("a <b>bold</b> claim");
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_renders_with_safe_links()
    {
        var html = CommentRenderer.ToHtml("""
            ## Notes
            * one
            * **two**

            | a | b |
            |---|---|
            | 1 | 2 |

            See [docs](https://example.com/x?y=1&z=2), https://example.org and `code`.

            ```
            docker pull x
            ```
            """);
        Assert.Contains("<h2", html, StringComparison.Ordinal);
        Assert.Contains("<li><strong>two</strong></li>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.Contains("<code>code</code>", html, StringComparison.Ordinal);
        Assert.Contains("<pre><code>docker pull x", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://example.com/x?y=1&amp;z=2\" rel=\"nofollow noopener noreferrer\">docs</a>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.org\"", html, StringComparison.Ordinal);
    }
}
