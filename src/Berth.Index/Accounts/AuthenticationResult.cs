namespace Berth.Index.Accounts;

public enum AuthenticationFailure
{
    None,
    BadCredentials,
    LockedOut,
}

public sealed record AuthenticationResult(Principal? Principal, AuthenticationFailure Failure)
{
    public static AuthenticationResult Fail(AuthenticationFailure failure) => new(null, failure);
}
