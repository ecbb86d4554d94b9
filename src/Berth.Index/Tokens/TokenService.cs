using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Tokens;

internal sealed class TokenService(
    BerthDbContext db,
    IPermissionService permissions,
    IAccountService accounts,
    TokenIssuer issuer,
    IndexOptions options,
    TimeProvider time) : ITokenService
{
    private static readonly HashSet<string> RepositoryActions = new(StringComparer.Ordinal) { "pull", "push", "delete" };

    public async Task<Outcome<TokenGrant>> IssueAsync(Principal? principal, string? service, IReadOnlyList<ResourceScope> requested, bool offline, string? clientId, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(service) && service != options.TokenService)
        {
            return IndexError.Invalid($"this token service issues tokens for '{options.TokenService}', not '{service}'");
        }

        var grants = await GrantAsync(principal, requested, cancellationToken);
        var granted = grants.Granted;
        var access = issuer.Issue(principal?.Name ?? "", options.TokenService, grants.Access, principal?.ActsAsAdmin == true, grants.Creatable);
        string? refresh = null;
        if (offline && principal is not null)
        {
            refresh = await CreateRefreshTokenAsync(principal, clientId, cancellationToken);
        }

        return new TokenGrant(access, granted, refresh);
    }

    public async Task<Outcome<TokenGrant>> RefreshAsync(string refreshToken, string? service, IReadOnlyList<ResourceScope> requested, string? clientId, CancellationToken cancellationToken)
    {
        var hash = Secrets.Hash(refreshToken);
        var now = time.GetUtcNow().UtcDateTime;
        var record = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(r => r.SecretHash == hash, cancellationToken);
        if (record is null || record.RevokedAt is not null || record.ExpiresAt <= now)
        {
            return IndexError.Unauthorized("the refresh token is invalid, expired or revoked");
        }

        // Bound to the client it was issued to (RFC 6749 §6): a token lifted from one client's store is no use elsewhere.
        if (!string.Equals(record.ClientId, RefreshClientId(clientId), StringComparison.Ordinal))
        {
            return IndexError.Unauthorized("the refresh token was issued to another client");
        }

        var principal = await accounts.FindPrincipalAsync(record.AccountId, record.PersonalAccessTokenId, cancellationToken);
        if (principal is null)
        {
            return IndexError.Unauthorized("the refresh token's account or access token is no longer valid");
        }

        // Shown in the token listing; written at most once a minute so a busy client does not turn reads into writes.
        var recently = now.AddMinutes(-1);
        await db.RefreshTokens.Where(r => r.Id == record.Id && (r.LastUsedAt == null || r.LastUsedAt < recently))
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.LastUsedAt, now), cancellationToken);

        var issued = await IssueAsync(principal, service, requested, offline: false, clientId, cancellationToken);
        return issued.IsSuccess ? issued.Value with { RefreshToken = refreshToken } : issued;
    }

    private async Task<Grants> GrantAsync(Principal? principal, IReadOnlyList<ResourceScope> requested, CancellationToken cancellationToken)
    {
        var grants = new Grants([], [], []);
        foreach (var scope in requested.Take(64))
        {
            switch (scope.Type)
            {
                case ResourceScope.Repository when RepositoryName.IsValid(scope.Name):
                    var wanted = scope.Actions.Where(RepositoryActions.Contains).ToList();
                    var allowed = await permissions.AllowedActionsAsync(principal, scope.Name, wanted, cancellationToken);
                    // Every asked-for repository gets an entry, empty when nothing is granted (absent and hidden look
                    // alike), so a registry can tell "never asked" (challenge for it) from "refused" (go on without).
                    grants.Access.Add(scope with { Actions = allowed.Actions });
                    if (allowed.Actions.Count > 0)
                    {
                        grants.Granted.Add(scope with { Actions = allowed.Actions });
                    }

                    if (allowed.CreatesRepository)
                    {
                        grants.Creatable.Add(scope.Name);
                    }

                    break;
                case ResourceScope.Registry when scope.Name == "catalog" && scope.Actions.Contains("*"):
                    // In process, the catalog is filtered per caller; a separate registry cannot do that.
                    if (options.RegistryInProcess || principal?.ActsAsAdmin == true)
                    {
                        grants.Granted.Add(scope with { Actions = ["*"] });
                        grants.Access.Add(scope with { Actions = ["*"] });
                    }

                    break;
            }
        }

        return grants;
    }

    /// <summary>
    /// What a token request was granted (<see cref="Granted"/>, as answered), what the token's <c>access</c> claim
    /// says (<see cref="Access"/>: also the repositories refused), and which names it was granted to create.
    /// </summary>
    private sealed record Grants(List<ResourceScope> Granted, List<ResourceScope> Access, List<string> Creatable);

    private async Task<string> CreateRefreshTokenAsync(Principal principal, string? clientId, CancellationToken cancellationToken)
    {
        var secret = Secrets.New(Secrets.RefreshTokenPrefix);
        var now = time.GetUtcNow().UtcDateTime;
        db.RefreshTokens.Add(new RefreshToken
        {
            AccountId = principal.AccountId,
            SecretHash = Secrets.Hash(secret),
            ClientId = RefreshClientId(clientId),
            PersonalAccessTokenId = principal.PersonalAccessTokenId,
            CreatedAt = now,
            ExpiresAt = now.AddDays(options.RefreshTokenLifetimeDays),
        });
        await db.SaveChangesAsync(cancellationToken);
        return secret;
    }

    /// <summary>
    /// The client id a refresh token is bound to, as stored: "unknown" when the client named none. Docker is one client
    /// under two ids: <c>docker login</c> (the daemon) asks as "docker", and the docker CLI's own registry calls
    /// (<c>docker manifest inspect</c>, …) refresh the same stored token as "registry-client", the default of the
    /// distribution library they are built on.
    /// </summary>
    private static string RefreshClientId(string? clientId) => clientId switch
    {
        null or "" => "unknown",
        "registry-client" => "docker",
        _ => clientId[..Math.Min(clientId.Length, 100)],
    };
}
