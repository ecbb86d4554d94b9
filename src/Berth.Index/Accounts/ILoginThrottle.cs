namespace Berth.Index.Accounts;

/// <summary>
/// Slows password guessing by the source that tries, on every surface that checks a password: the index's accounts
/// and a standalone registry's htpasswd file alike.
/// </summary>
public interface ILoginThrottle
{
    /// <summary>Whether <paramref name="source"/> must still wait before trying <paramref name="account"/> (any account when null).</summary>
    Task<ThrottleCheck> CheckAsync(string? source, string? account, CancellationToken cancellationToken);

    /// <summary>A wrong password (or unknown account) from <paramref name="source"/>.</summary>
    Task RecordFailureAsync(string? source, string account, CancellationToken cancellationToken);

    /// <summary>The right password: the source's count for that account starts again.</summary>
    Task RecordSuccessAsync(string? source, string account, CancellationToken cancellationToken);
}

/// <summary>What the throttle says before a credential is checked.</summary>
/// <param name="RetryAfter">How long the source must still wait; null when it may try now.</param>
/// <param name="HasAccountFailures">Whether the source has failures counted against this account (a success clears them).</param>
public sealed record ThrottleCheck(TimeSpan? RetryAfter, bool HasAccountFailures);
