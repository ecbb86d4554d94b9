using Berth.Web.Content;
using Berth.Web.Hosting;
using Berth.Web.Pages;
using Berth.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Berth.Web;

/// <summary>
/// The web UI (docs/WEB.md): pages rendered on the server from Razor components, over the same index and registry
/// services as the REST API, in the same process. JavaScript only enhances (copy buttons); every page works without it.
/// </summary>
public static class WebUi
{
    public static IServiceCollection AddWebUi(this IServiceCollection services, WebUiOptions options)
    {
        services.AddRazorComponents();

        // One key ring for every node and every restart (DatabaseKeyRing), under a fixed application name: by default
        // Data Protection isolates keys by install path, so two nodes installed in different folders would not share.
        services.AddDataProtection().SetApplicationName("berth");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseKeyRing(provider.GetRequiredService<IServiceScopeFactory>())));

        // The keys sit unencrypted in the database beside the sessions and accounts they guard: whoever reads that
        // database gains nothing more from them, so the "no XML encryptor" warning at each new key is noise.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "berth_antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "_token";
            antiforgery.HeaderName = null;

            // SecurityHeaders sends DENY, stricter than the SAMEORIGIN this would add.
            antiforgery.SuppressXFrameOptionsHeader = true;
        });
        services.AddSingleton<ImageCache>();
        services.AddSingleton<StaticAssets>();
        services.AddScoped<ImageInspector>();
        services.AddSingleton(Options.Create(options));
        return services;
    }

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<WebUiOptions>>().Value;
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

        web.MapGet("/search/results", BrowsePages.SearchResultsAsync);

        // Organisations and repository settings (OrganisationPages, RepositorySettingsPages). The settings GET is a
        // constrained catch-all, so it wins over /r/{**path} for names ending in /-/settings and only for those.
        web.MapGet("/orgs/new", OrganisationPages.New);
        web.MapPost("/orgs/new", OrganisationPages.CreateAsync);
        web.MapGet("/u/{name}/-/settings", OrganisationPages.SettingsAsync);
        web.MapPost("/u/{name}/-/settings/{**action}", OrganisationPages.PostAsync);
        web.MapGet("/r/{**path:regex(^.+\\x2F-\\x2Fsettings$)}", RepositorySettingsPages.ShowAsync);

        web.MapGet("/settings", SettingsPages.ShowAsync);
        web.MapPost("/settings/password", SettingsPages.ChangePasswordAsync);
        web.MapPost("/settings/tokens", SettingsPages.CreateTokenAsync);
        web.MapPost("/settings/tokens/{id:long}/revoke", SettingsPages.RevokeTokenAsync);
        web.MapGet("/admin/users", AdminPages.UsersAsync);
        web.MapPost("/admin/users", AdminPages.CreateAccountAsync);
        web.MapGet("/admin/audit", AdminPages.AuditAsync);
        web.MapMethods("/admin/{**rest}", [HttpMethods.Get, HttpMethods.Post], AdminPages.Absent);

        return app;
    }
}
