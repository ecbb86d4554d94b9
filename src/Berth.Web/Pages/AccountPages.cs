using Berth.Index;
using Berth.Index.Accounts;
using Berth.Web.Sessions;
using Berth.Web.Views;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/login</c>, <c>/logout</c> and <c>/signup</c>. Every POST has passed the antiforgery check (<see cref="WebCaller"/>)
/// before it gets here. Passwords are checked by the index's account service, so the same login throttle holds the
/// web form and the API alike.
/// </summary>
internal static class AccountPages
{
    public static IResult Login(HttpContext http, string? @return) =>
        WebPage.Render<LoginView, LoginModel>(http, new LoginModel("", null, ReturnPath(@return)));

    public static async Task<IResult> SignInAsync(HttpContext http, IWebSessionService sessions, CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var user = ((string?)form["user"] ?? "").Trim();
        var password = (string?)form["password"] ?? "";
        var returnTo = ReturnPath(form["return"]);
        if (user.Length is 0 or > 64 || password.Length is 0 or > 1024)
        {
            return WebPage.Render<LoginView, LoginModel>(http, new LoginModel(user.Length > 64 ? "" : user, "Enter your user name and password.", returnTo), StatusCodes.Status400BadRequest);
        }

        var signIn = await sessions.SignInAsync(user, password, http.Request.Headers.UserAgent.ToString(), cancellationToken);
        if (signIn.Result.Failure == AuthenticationFailure.Throttled)
        {
            var seconds = signIn.Result.RetryAfterSeconds;
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return WebPage.Render<LoginView, LoginModel>(http, new LoginModel(user, $"Too many failed sign-ins from this address. Try again in {seconds} s.", returnTo), StatusCodes.Status429TooManyRequests);
        }

        if (!signIn.Succeeded)
        {
            return WebPage.Render<LoginView, LoginModel>(http, new LoginModel(user, "Incorrect user name or password.", returnTo), StatusCodes.Status401Unauthorized);
        }

        SessionCookie.Write(http, signIn.Secret!, signIn.ExpiresAt);
        return Results.Redirect(returnTo, permanent: false, preserveMethod: false);
    }

    /// <summary>Where to go after signing in: a local page, not the sign-in or sign-up form itself.</summary>
    private static string ReturnPath(string? path)
    {
        var local = WebPage.LocalPath(path);
        return local.StartsWith("/login", StringComparison.Ordinal) || local.StartsWith("/signup", StringComparison.Ordinal) ? "/" : local;
    }

    /// <summary>Ends this browser's session, or with <c>scope=all</c> every session of the account.</summary>
    public static async Task<IResult> SignOutAsync(HttpContext http, IWebSessionService sessions, CancellationToken cancellationToken)
    {
        var form = await http.Request.ReadFormAsync(cancellationToken);
        if (form["scope"] == "all" && WebCaller.Of(http) is { } caller)
        {
            await sessions.EndAllAsync(caller, cancellationToken);
        }
        else if (SessionCookie.Read(http.Request) is { Length: > 0 } secret)
        {
            await sessions.EndAsync(secret, cancellationToken);
        }

        SessionCookie.Delete(http);
        return Results.Redirect("/");
    }

    public static IResult Signup(HttpContext http, IndexOptions options) =>
        options.SignupEnabled ? WebPage.Render<SignupView, SignupModel>(http, new SignupModel("", null, null)) : WebPage.NotFound(http);

    public static async Task<IResult> CreateAccountAsync(HttpContext http, IndexOptions options, IUserService users, IWebSessionService sessions, CancellationToken cancellationToken)
    {
        if (!options.SignupEnabled)
        {
            return WebPage.NotFound(http);
        }

        var account = NewAccountForm.Read(await http.Request.ReadFormAsync(cancellationToken));
        var model = new SignupModel(account.ShownName, account.ShownEmail, null);
        if (account.Password != account.Confirm)
        {
            return WebPage.Render<SignupView, SignupModel>(http, model with { Error = "The passwords do not match." }, StatusCodes.Status400BadRequest);
        }

        var created = await users.CreateAsync(null, account.Name, account.Password, account.Email, isAdmin: false, cancellationToken);
        if (!created.IsSuccess)
        {
            var error = created.Error!;
            return WebPage.Render<SignupView, SignupModel>(http, model with { Error = error.Detail ?? error.Title }, error.Status);
        }

        var signIn = await sessions.SignInAsync(account.Name, account.Password, http.Request.Headers.UserAgent.ToString(), cancellationToken);
        if (!signIn.Succeeded)
        {
            return Results.Redirect("/login");
        }

        SessionCookie.Write(http, signIn.Secret!, signIn.ExpiresAt);
        return Results.Redirect($"/u/{created.Value!.Name}");
    }
}
