namespace Berth.Server.Auth;

public enum AccessOutcome
{
    Allowed,

    /// <summary>401: no or bad credentials; the client should authenticate and retry.</summary>
    Challenge,

    /// <summary>403: authenticated, but the grant does not cover the request.</summary>
    Denied,

    /// <summary>429: this source failed to log in too often; it may try again after <see cref="AccessGrant.RetryAfter"/>.</summary>
    Throttled,
}

/// <summary>The result of an access check: who the caller is and what else they may do (e.g. pull from a mount source).</summary>
public sealed class AccessGrant
{
    private readonly Func<string, string, string, bool> _allows;

    private AccessGrant(AccessOutcome outcome, string? subject, string? challenge, Func<string, string, string, bool> allows, bool siteAdmin = false, TimeSpan? retryAfter = null)
    {
        RetryAfter = retryAfter;
        SiteAdmin = siteAdmin;
        Outcome = outcome;
        Subject = subject;
        Challenge = challenge;
        _allows = allows;
    }

    public AccessOutcome Outcome { get; }

    /// <summary>Whether the credential carries site-admin powers (an admin account with an admin-scoped credential).</summary>
    public bool SiteAdmin { get; }

    /// <summary>The authenticated account, or null for anonymous access.</summary>
    public string? Subject { get; }

    /// <summary>The <c>WWW-Authenticate</c> value for a <see cref="AccessOutcome.Challenge"/>.</summary>
    public string? Challenge { get; }

    /// <summary>How long a <see cref="AccessOutcome.Throttled"/> source must wait.</summary>
    public TimeSpan? RetryAfter { get; }

    public static AccessGrant Allow(string? subject, Func<string, string, string, bool> allows, bool siteAdmin = false) =>
        new(AccessOutcome.Allowed, subject, null, allows, siteAdmin);

    public static AccessGrant Unauthenticated(string challenge) =>
        new(AccessOutcome.Challenge, null, challenge, static (_, _, _) => false);

    public static AccessGrant Throttle(TimeSpan retryAfter) =>
        new(AccessOutcome.Throttled, null, null, static (_, _, _) => false, retryAfter: retryAfter);

    public static AccessGrant Deny(string? subject, string? challenge) =>
        new(AccessOutcome.Denied, subject, challenge, static (_, _, _) => false);

    /// <summary>Whether the caller may perform <paramref name="action"/> on the resource, beyond what the request itself required.</summary>
    public bool Allows(string type, string name, string action) => _allows(type, name, action);
}
