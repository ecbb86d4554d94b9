namespace Berth.Client.Auth;

/// <summary>Authentication failed for a reason the user must fix (wrong password, refused by the token server).</summary>
public sealed class RegistryAuthException(string message, Exception? inner = null) : Exception(message, inner);
