using Berth.Data.Entities;

namespace Berth.Index.Accounts;

public enum AccessTokenKind
{
    PersonalAccessToken,

    /// <summary>An OAuth2 refresh token of the token service (what <c>docker login</c> keeps).</summary>
    RefreshToken,
}

/// <summary>
/// A credential an account has handed out, as its owner sees it: a personal access token or a refresh token. Both
/// are listed and revoked through the same API, so their ids share one space: personal access tokens keep their
/// positive ids, refresh tokens are listed as the negated id of their row (docs/API.md).
/// </summary>
public sealed record AccessTokenInfo(
    long Id,
    AccessTokenKind Kind,
    string Name,
    TokenScopes Scopes,
    string Prefix,
    string? ClientId,
    DateTime CreatedAt,
    DateTime? ExpiresAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt)
{
    public static long RefreshTokenId(long rowId) => -rowId;

    public static bool IsRefreshTokenId(long id) => id < 0 && id != long.MinValue;

    public static long RefreshTokenRowId(long id) => -id;
}
