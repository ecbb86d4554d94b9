namespace Berth.Index.Accounts;

public enum AuthenticationFailure
{
    None,
    BadCredentials,

    /// <summary>The source tried too many wrong credentials; it must wait <see cref="AuthenticationResult.RetryAfter"/>.</summary>
    Throttled,
}

public sealed record AuthenticationResult(Principal? Principal, AuthenticationFailure Failure, TimeSpan? RetryAfter = null)
{
    public static AuthenticationResult Success(Principal principal) => new(principal, AuthenticationFailure.None);

    public static AuthenticationResult Fail(AuthenticationFailure failure) => new(null, failure);

    public static AuthenticationResult Throttled(TimeSpan retryAfter) => new(null, AuthenticationFailure.Throttled, retryAfter);

    /// <summary>Whole seconds for <c>Retry-After</c>, at least 1.</summary>
    public int RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
}
