using System.Security.Claims;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Web.Hosting;
using Berth.Web.Pages;
using Microsoft.AspNetCore.Antiforgery;

namespace Berth.Web.Sessions;

/// <summary>
/// Runs before every UI endpoint: security headers, the signed-in account from the session cookie (the cookie means
/// nothing to <c>/api</c> or <c>/v2</c>, so it cannot be used to forge their requests), and the antiforgery check
/// of every POST, before any form field is read.
/// </summary>
internal static class WebCaller
{
    private const string AuthenticationType = "berth-session";
    private static readonly object PrincipalKey = new();

    /// <summary>The signed-in account, or null.</summary>
    public static Principal? Of(HttpContext http) => http.Items[PrincipalKey] as Principal;

    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        SecurityHeaders.Apply(http.Response);
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers.Pragma = "no-cache";

        // The login throttle and the audit log count per source address, as for the API.
        services.GetRequiredService<AuditContext>().Address = http.Connection.RemoteIpAddress?.ToString();

        var principal = await services.GetRequiredService<IWebSessionService>().ResolveAsync(SessionCookie.Read(http.Request), http.RequestAborted);
        if (principal is not null)
        {
            http.Items[PrincipalKey] = principal;

            // Antiforgery tokens are bound to this identity: a form token from one account's page is refused in
            // another account's session.
            http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, principal.AccountId.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, principal.Name)],
                AuthenticationType));
        }

        if (HttpMethods.IsPost(http.Request.Method) && !await services.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return WebPage.Error(http, StatusCodes.Status400BadRequest, "This form has expired",
                "The form was not sent from a page of this site, or it was open for too long. Go back, reload the page and try again.");
        }

        return await next(context);
    }
}
