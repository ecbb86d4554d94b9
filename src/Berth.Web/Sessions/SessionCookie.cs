namespace Berth.Web.Sessions;

/// <summary>The session cookie: the session's random secret, never readable by script, sent on same-site requests and top-level navigations only.</summary>
internal static class SessionCookie
{
    public const string Name = "berth_session";

    public static string? Read(HttpRequest request) => request.Cookies[Name];

    public static void Write(HttpContext http, string secret, DateTime expiresAt) =>
        http.Response.Cookies.Append(Name, secret, Options(http, expiresAt));

    public static void Delete(HttpContext http) => http.Response.Cookies.Delete(Name, Options(http, null));

    private static CookieOptions Options(HttpContext http, DateTime? expiresAt) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = http.Request.IsHttps,
        Path = "/",
        IsEssential = true,
        Expires = expiresAt is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null,
    };
}
