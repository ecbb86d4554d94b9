namespace Berth.Web.Tests.Support;

/// <summary>Every kind of page the UI has, with a name for its screenshot.</summary>
public static class MainPages
{
    public static IReadOnlyList<(string Name, string Url, int Status)> Of(WebSite site) =>
    [
        ("explore", "/", 200),
        ("search", "/search?q=webapp", 200),
        ("search-sorted", "/search?sort=stars", 200),
        ("repository", $"/r/{site.PublicRepository}", 200),
        ("tag-index", $"/r/{site.PublicRepository}/-/tags/latest", 200),
        ("tag-image", $"/r/{site.PublicRepository}/-/tags/1.0", 200),
        ("manifest-artifact", $"/r/{site.PublicRepository}/-/manifests/{site.Sbom.Manifest.Digest}", 200),
        ("user", $"/u/{site.Alice}", 200),
        ("login", "/login", 200),
        ("signup", "/signup", 200),
        ("not-found", $"/r/{site.Alice}/no-such-repository", 404),
    ];
}
