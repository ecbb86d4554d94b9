using Berth.Data.Entities;

namespace Berth.Index.Accounts;

/// <summary>
/// An authenticated caller. <see cref="Scopes"/> limits what the credential may do: everything for a password,
/// the token's scopes for a personal access token.
/// </summary>
public sealed record Principal(long AccountId, string Name, bool IsAdmin, TokenScopes Scopes, long? PersonalAccessTokenId = null)
{
    public const TokenScopes AllScopes = TokenScopes.Read | TokenScopes.Write | TokenScopes.Delete | TokenScopes.Admin;

    /// <summary>Admin powers need both an admin account and a credential that carries them.</summary>
    public bool ActsAsAdmin => IsAdmin && Scopes.HasFlag(TokenScopes.Admin);
}
