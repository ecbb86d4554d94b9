namespace Berth.Web.Hosting;

/// <summary>What every UI response says about how a browser may use it.</summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// Only this site's own files run or style a page: no inline script or style at all (the markup has none), no
    /// plugins, no framing, forms post only here. Images may come from here or be data URLs; a description's remote
    /// image is not loaded, so a page view tells no third party anything.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
    }
}
