namespace Berth.Client.Auth;

/// <summary>
/// What a user gave for one registry: a username and password, or an identity (refresh) token that a token server
/// exchanges for access tokens (docker stores it with the username <c>&lt;token&gt;</c>).
/// </summary>
public sealed record RegistryCredentials(string? Username, string? Password, string? IdentityToken = null)
{
    public bool HasPassword => !string.IsNullOrEmpty(Username) && Password is not null;

    // Never print secrets, even by accident in a log line or an exception.
    public override string ToString() => $"RegistryCredentials {{ Username = {Username} }}";
}
