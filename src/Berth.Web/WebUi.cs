using Berth.Web.Content;
using Berth.Web.Hosting;
using Berth.Web.Pages;
using Berth.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Berth.Web;

/// <summary>
/// The web UI (docs/WEB.md): pages rendered on the server from Razor components, over the same index and registry
/// services as the REST API, in the same process. JavaScript only enhances (copy buttons); every page works without it.
/// </summary>
public static class WebUi
{
    public static IServiceCollection AddWebUi(this IServiceCollection services, Action<WebUiOptions>? configure = null)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "berth_antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "_token";
            options.HeaderName = null;

            // SecurityHeaders sends DENY, stricter than the SAMEORIGIN this would add.
            options.SuppressXFrameOptionsHeader = true;
        });
        services.AddSingleton<ImageCache>();
        services.AddSingleton<StaticAssets>();
        services.AddScoped<ImageInspector>();
        services.AddOptions<WebUiOptions>().Configure(o => configure?.Invoke(o));
        return services;
    }

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder app, WebUiOptions options)
    {
        var web = app.MapGroup("").AddEndpointFilter(WebCaller.FilterAsync).ExcludeFromDescription();
        web.MapGet("/static/{name}", (HttpContext http, StaticAssets assets, string name) => assets.Serve(http, name));
        web.MapGet("/", BrowsePages.ExploreAsync);
        web.MapGet("/search", BrowsePages.SearchAsync);
        web.MapGet("/u/{name}", BrowsePages.NamespaceAsync);
        web.MapGet("/r/{**path}", RepositoryPages.DispatchAsync);
        web.MapPost("/r/{**path}", SocialPages.PostAsync);
        web.MapGet("/login", AccountPages.Login);
        web.MapPost("/login", AccountPages.SignInAsync);
        web.MapPost("/logout", AccountPages.SignOutAsync);
        web.MapGet("/signup", AccountPages.Signup);
        var signup = web.MapPost("/signup", AccountPages.CreateAccountAsync);
        if (options.SignupRateLimitPolicy is { } policy)
        {
            signup.RequireRateLimiting(policy);
        }

        return app;
    }
}
