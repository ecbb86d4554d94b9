using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index;

/// <summary>
/// What a credential itself permits, whatever its account may do: a personal access token acts only within its
/// scopes (<c>admin</c> includes the others); a password login carries every scope.
/// </summary>
internal static class Credentials
{
    public static bool Allows(Principal principal, TokenScopes scope) => (principal.Scopes & (scope | TokenScopes.Admin)) != 0;

    /// <summary>Null when the credential carries <paramref name="scope"/>, else the 403 to answer.</summary>
    public static IndexError? Require(Principal principal, TokenScopes scope) =>
        Allows(principal, scope) ? null : IndexError.Forbidden($"this access token lacks the '{scope.ToString().ToLowerInvariant()}' scope");

    /// <summary>Site administration needs an admin account and a credential with the admin scope.</summary>
    public static IndexError? RequireSiteAdmin(Principal principal) =>
        principal.ActsAsAdmin ? null : IndexError.Forbidden("only administrators may do this");
}
