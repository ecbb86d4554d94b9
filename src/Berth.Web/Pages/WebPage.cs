using Berth.Index;
using Berth.Web.Hosting;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Web.Pages;

/// <summary>Renders a view component as a whole page, with its frame and status.</summary>
internal static class WebPage
{
    public static PageFrame Frame(HttpContext http)
    {
        var services = http.RequestServices;
        var tokens = services.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var assets = services.GetRequiredService<StaticAssets>();
        return new PageFrame(
            WebCaller.Of(http),
            tokens.FormFieldName,
            tokens.RequestToken ?? "",
            assets.Url("site.css"),
            assets.Url("site.js"),
            services.GetRequiredService<IndexOptions>().SignupEnabled,
            http.Request.Path + http.Request.QueryString);
    }

    public static RazorComponentResult Render<TView, TModel>(HttpContext http, TModel model, int status = StatusCodes.Status200OK)
        where TView : IComponent =>
        new RazorComponentResult<TView>(new Dictionary<string, object?> { ["Frame"] = Frame(http), ["Model"] = model })
        {
            StatusCode = status,
            ContentType = "text/html; charset=utf-8",
        };

    /// <summary>
    /// The one "not found" page: an absent repository, a private one the caller may not read, an unknown user or tag
    /// all get exactly this, so no page tells them apart.
    /// </summary>
    public static RazorComponentResult NotFound(HttpContext http) =>
        Error(http, StatusCodes.Status404NotFound, "Not found", "There is nothing here, or you may not see it. If it is private, sign in with an account that may.");

    public static RazorComponentResult Error(HttpContext http, int status, string title, string message) =>
        Render<ErrorView, ErrorModel>(http, new ErrorModel(title, message), status);

    /// <summary>A local path to return to after a form, or <c>/</c>: never another site (<c>//host</c>, <c>/\host</c>).</summary>
    public static string LocalPath(string? path) =>
        path is { Length: > 0 and < 2048 } && path[0] == '/' && (path.Length == 1 || (path[1] != '/' && path[1] != '\\')) && !path.Contains('\n') && !path.Contains('\r')
            ? path
            : "/";
}

public sealed record ErrorModel(string Title, string Message);
