using System.Globalization;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.Extensions.Options;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/settings</c>: the signed-in user's password, personal access tokens and sessions, through the same
/// <see cref="IUserService"/> calls as <c>/api/v1/user/password</c> and <c>/api/v1/user/tokens</c>. Every POST has
/// passed the antiforgery check (<see cref="WebCaller"/>) before it gets here.
/// </summary>
internal static class SettingsPages
{
    public const string Path = "/settings";
    public const int TokenPageSize = 50;

    /// <summary>The expiries the form offers, in days.</summary>
    public static readonly IReadOnlyList<int> ExpiryChoices = [7, 30, 90, 365];

    private const int MaxPassword = 1024;

    public static async Task<IResult> ShowAsync(HttpContext http, string? page, string? done, IUserService users, CancellationToken cancellationToken) =>
        WebCaller.Of(http) is not { } caller
            ? SignInFirst()
            : await RenderAsync(http, caller, users, BrowsePages.ParsePage(page), Notice(done), null, null, TokenDraft.Empty, StatusCodes.Status200OK, cancellationToken);

    /// <summary>
    /// Changes the password. The account service ends every web session of the account, this one too (and every
    /// refresh token); this browser is then signed in again with the new password, so the one who changed it stays
    /// signed in here and nowhere else.
    /// </summary>
    public static async Task<IResult> ChangePasswordAsync(HttpContext http, IUserService users, IWebSessionService sessions, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { } caller)
        {
            return SignInFirst();
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var current = (string?)form["current"] ?? "";
        var password = (string?)form["password"] ?? "";
        var confirm = (string?)form["confirm"] ?? "";
        string? error = null;
        if (current.Length is 0 or > MaxPassword || password.Length is 0 or > MaxPassword)
        {
            error = "Enter your current password and a new one.";
        }
        else if (password != confirm)
        {
            error = "The new passwords do not match.";
        }

        if (error is not null)
        {
            return await RenderAsync(http, caller, users, 1, null, error, null, TokenDraft.Empty, StatusCodes.Status400BadRequest, cancellationToken);
        }

        var changed = await users.ChangePasswordAsync(caller, current, password, cancellationToken);
        if (!changed.IsSuccess)
        {
            var refusal = changed.Error!;
            return await RenderAsync(http, caller, users, 1, null, Sentence(refusal), null, TokenDraft.Empty, refusal.Status, cancellationToken);
        }

        var signIn = await sessions.SignInAsync(caller.Name, password, http.Request.Headers.UserAgent.ToString(), cancellationToken);
        if (!signIn.Succeeded)
        {
            // Only if the sign-in is throttled right now: the password is changed, the session is gone; sign in by hand.
            SessionCookie.Delete(http);
            return Results.Redirect("/login" + Format.Query(("return", Path)));
        }

        SessionCookie.Write(http, signIn.Secret!, signIn.ExpiresAt);
        return Results.Redirect(Path + "?done=password");
    }

    /// <summary>Creates a token and answers with the one page that shows its secret; nothing else ever shows it again.</summary>
    public static async Task<IResult> CreateTokenAsync(HttpContext http, IUserService users, TimeProvider time, IOptions<WebUiOptions> options, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { } caller)
        {
            return SignInFirst();
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var name = ((string?)form["name"] ?? "").Trim();
        _ = IndexWords.TryParseScopes(form["scope"], out var scopes);
        int? days = int.TryParse(form["expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var d) && ExpiryChoices.Contains(d) ? d : null;
        var draft = new TokenDraft(name.Length > 100 ? "" : name, scopes, days);
        if (scopes == Berth.Data.Entities.TokenScopes.None)
        {
            return await RenderAsync(http, caller, users, 1, null, null, "Choose at least one scope.", draft, StatusCodes.Status400BadRequest, cancellationToken);
        }

        DateTime? expiresAt = days is { } n ? time.GetUtcNow().UtcDateTime.AddDays(n) : null;
        var created = await users.CreateTokenAsync(caller, name, scopes, expiresAt, cancellationToken);
        if (!created.IsSuccess)
        {
            var refusal = created.Error!;
            return await RenderAsync(http, caller, users, 1, null, null, Sentence(refusal), draft, refusal.Status, cancellationToken);
        }

        var (token, secret) = created.Value;
        var host = options.Value.RegistryHost ?? http.Request.Host.Value ?? "localhost";
        return WebPage.Render<TokenCreatedView, TokenCreatedModel>(http, new TokenCreatedModel(caller.Name, token.Name, token.Scopes, token.ExpiresAt, secret, host));
    }

    /// <summary>
    /// Revokes a token. The service revokes a row only while it is unrevoked, so two revocations at once revoke (and
    /// audit) it once; the later one is told it was already revoked.
    /// </summary>
    public static async Task<IResult> RevokeTokenAsync(HttpContext http, long id, IUserService users, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { } caller)
        {
            return SignInFirst();
        }

        var revoked = await users.RevokeTokenAsync(caller, id, cancellationToken);
        if (revoked.IsSuccess)
        {
            return Results.Redirect(Path + "?done=revoked#tokens");
        }

        return revoked.Error!.Status == StatusCodes.Status404NotFound
            ? Results.Redirect(Path + "?done=gone#tokens")
            : WebPage.Error(http, revoked.Error.Status, revoked.Error.Title, Sentence(revoked.Error));
    }

    private static async Task<IResult> RenderAsync(
        HttpContext http, Principal caller, IUserService users, int page, string? notice, string? passwordError, string? tokenError, TokenDraft draft, int status, CancellationToken cancellationToken)
    {
        var request = PageRequest.Create(page, TokenPageSize);
        var account = await users.GetOwnAsync(caller, cancellationToken);
        if (!request.IsSuccess || !account.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var tokens = await users.ListTokensAsync(caller, request.Value, cancellationToken);
        if (tokens.Count == 0 && page > 1)
        {
            return WebPage.NotFound(http);
        }

        return WebPage.Render<SettingsView, SettingsModel>(http,
            new SettingsModel(account.Value!, tokens, page, tokens.Count == TokenPageSize, notice, passwordError, tokenError, draft), status);
    }

    private static IResult SignInFirst() => Results.Redirect("/login" + Format.Query(("return", Path)));

    /// <summary>The fixed sentence for a <c>done=</c> word (never the query's own text).</summary>
    private static string? Notice(string? done) => done switch
    {
        "password" => "Your password is changed. Every other browser was signed out and every docker or podman login made with the old password has ended; personal access tokens still work.",
        "revoked" => "The token is revoked. Clients using it are refused from now on.",
        "gone" => "That token was already revoked (or is not yours). Nothing changed.",
        _ => null,
    };

    private static string Sentence(IndexError error)
    {
        var text = error.Detail ?? error.Title;
        return text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");
    }
}
