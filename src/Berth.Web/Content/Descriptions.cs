using System.Text.RegularExpressions;
using Berth.Index.Social;

namespace Berth.Web.Content;

/// <summary>A repository's Markdown description as page HTML: the index's safe renderer, headings moved under the page's own.</summary>
internal static partial class Descriptions
{
    /// <summary>The page has its h1 and the "About" h2: a description's <c># Title</c> becomes an h3, and so on down (h6 at most).</summary>
    public static string ToHtml(string markdown) => Demote(CommentRenderer.ToHtml(markdown));

    /// <summary>Headings of rendered (sanitised) Markdown two levels down, under the page's h1 and the section's h2.</summary>
    public static string Demote(string html) =>
        Heading().Replace(html, m => $"<{m.Groups[1].Value}h{Math.Min(6, m.Groups[2].Value[0] - '0' + 2)}>");

    // The sanitiser writes every heading tag as a bare <hN> / </hN> (no attributes are allowed on them).
    [GeneratedRegex("<(/?)h([1-6])>")]
    private static partial Regex Heading();
}
