namespace Berth.Index.Events;

/// <summary>
/// A registry's base URL as the index stores it: one spelling per registry, so the same registry reported by
/// its events and named by <c>--registry-url</c> is owed a deletion once.
/// </summary>
public static class RegistryUrls
{
    public const int MaxLength = 500;

    /// <summary>An absolute http(s) URL without credentials, query or fragment, without a trailing slash; null otherwise.</summary>
    public static string? Normalize(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) ||
            uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return null;
        }

        var normalized = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return normalized.Length <= MaxLength ? normalized : null;
    }
}
