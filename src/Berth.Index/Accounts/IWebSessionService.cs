namespace Berth.Index.Accounts;

/// <summary>A sign-in attempt of the web UI: on success, the new session's secret (for the cookie) and its end.</summary>
public sealed record WebSignIn(AuthenticationResult Result, string? Secret, DateTime ExpiresAt)
{
    public bool Succeeded => Result.Principal is not null && Secret is not null;
}

/// <summary>
/// Sessions of the web UI, kept as rows (<c>web_sessions</c>) so that any node can end them: a cookie is only a random
/// secret naming a row. Passwords are checked by <see cref="IUserService.AuthenticateAsync"/>, so the web login is
/// throttled exactly like the API's.
/// </summary>
public interface IWebSessionService
{
    public const string SecretPrefix = "berth_ws_";

    /// <summary>Sessions end this long after sign-in, however busy.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(14);

    /// <summary>
    /// Checks a password and opens a session. A personal access token is refused (never checked): a session
    /// carries every scope of its account, which a scoped token must not be able to turn into.
    /// </summary>
    Task<WebSignIn> SignInAsync(string user, string password, string? userAgent, CancellationToken cancellationToken);

    /// <summary>The signed-in account of a session cookie; null when the session is unknown, ended or expired, or its account disabled.</summary>
    Task<Principal?> ResolveAsync(string? secret, CancellationToken cancellationToken);

    /// <summary>Ends one session (logout).</summary>
    Task EndAsync(string secret, CancellationToken cancellationToken);

    /// <summary>Ends every session of the caller's account (logout everywhere); how many there were.</summary>
    Task<int> EndAllAsync(Principal caller, CancellationToken cancellationToken);
}
