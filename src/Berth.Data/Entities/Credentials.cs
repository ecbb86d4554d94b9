namespace Berth.Data.Entities;

[Flags]
public enum TokenScopes
{
    None = 0,
    Read = 1,
    Write = 2,
    Delete = 4,
    Admin = 8,
}

/// <summary>
/// A personal access token. Only a SHA-256 of the secret is stored (the secret is 256 random bits, so a slow
/// KDF buys nothing); the plain value is shown once, at creation.
/// </summary>
public sealed class PersonalAccessToken
{
    public long Id { get; set; }

    public long AccountId { get; set; }

    public required string Name { get; set; }

    public required string SecretHash { get; set; }

    /// <summary>The first characters of the secret, to recognise it in a listing.</summary>
    public required string Prefix { get; set; }

    public TokenScopes Scopes { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public DateTime? LastUsedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}

/// <summary>An OAuth2 refresh token of the token service (stored hashed), limited like the credential that obtained it.</summary>
public sealed class RefreshToken
{
    public long Id { get; set; }

    public long AccountId { get; set; }

    public required string SecretHash { get; set; }

    public required string ClientId { get; set; }

    /// <summary>Set when the refresh token was obtained with a personal access token: it can never exceed that token.</summary>
    public long? PersonalAccessTokenId { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? LastUsedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}

/// <summary>
/// A signed-in browser of the web UI. The cookie holds a random secret; only its SHA-256 is stored, so a copy of the
/// database opens no session. Deleting the row (logout, logout everywhere, a password change) ends the session at
/// the next request, on every node.
/// </summary>
public sealed class WebSession
{
    public long Id { get; set; }

    public long AccountId { get; set; }

    public required string SecretHash { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Refreshed at most once a minute, so reading pages does not turn into writes.</summary>
    public DateTime LastSeenAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    /// <summary>The browser's User-Agent at sign-in (trimmed), so a user can tell sessions apart.</summary>
    public string? UserAgent { get; set; }
}
