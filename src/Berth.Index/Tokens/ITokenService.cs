using Berth.Index.Accounts;

namespace Berth.Index.Tokens;

/// <summary>What the token endpoint answers (Docker token spec + OAuth2 fields).</summary>
public sealed record TokenGrant(IssuedToken Access, IReadOnlyList<ResourceScope> Granted, string? RefreshToken);

/// <summary>The token service: grants the intersection of what is asked and what is allowed, signed for the registry.</summary>
public interface ITokenService
{
    /// <summary>Issues a token for an authenticated principal or anonymous (null). Refusal is an empty grant, not an error.</summary>
    Task<Outcome<TokenGrant>> IssueAsync(Principal? principal, string? service, IReadOnlyList<ResourceScope> requested, bool offline, string? clientId, CancellationToken cancellationToken);

    /// <summary>OAuth2 <c>refresh_token</c> grant: a new access token for the refresh token's account, limited as before.</summary>
    Task<Outcome<TokenGrant>> RefreshAsync(string refreshToken, string? service, IReadOnlyList<ResourceScope> requested, string? clientId, CancellationToken cancellationToken);
}
