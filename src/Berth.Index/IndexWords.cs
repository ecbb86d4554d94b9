using Berth.Data.Entities;

namespace Berth.Index;

/// <summary>
/// The words users write for the index's enumerations (<c>public</c>, <c>write</c>, <c>owner</c>, <c>delete</c>), one
/// table for every surface that reads or shows them: the REST API and the web UI's forms.
/// </summary>
public static class IndexWords
{
    public static string Word(Visibility visibility) => visibility == Visibility.Public ? "public" : "private";

    public static string Word(AccessLevel level) => level switch
    {
        AccessLevel.Admin => "admin",
        AccessLevel.Write => "write",
        AccessLevel.Read => "read",
        _ => "none",
    };

    public static string Word(OrganizationRole role) => role == OrganizationRole.Owner ? "owner" : "member";

    public static IReadOnlyList<string> Words(TokenScopes scopes) =>
        [.. new[] { TokenScopes.Read, TokenScopes.Write, TokenScopes.Delete, TokenScopes.Admin }.Where(s => scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant())];

    public static bool TryParseVisibility(string? word, out Visibility visibility)
    {
        (var ok, visibility) = word switch
        {
            "public" => (true, Visibility.Public),
            "private" => (true, Visibility.Private),
            _ => (false, Visibility.Private),
        };
        return ok;
    }

    public static bool TryParseLevel(string? word, out AccessLevel level)
    {
        level = word switch
        {
            "read" => AccessLevel.Read,
            "write" => AccessLevel.Write,
            "admin" => AccessLevel.Admin,
            _ => AccessLevel.None,
        };
        return level != AccessLevel.None;
    }

    public static bool TryParseRole(string? word, out OrganizationRole role)
    {
        (var ok, role) = word switch
        {
            "owner" => (true, OrganizationRole.Owner),
            "member" => (true, OrganizationRole.Member),
            _ => (false, OrganizationRole.Member),
        };
        return ok;
    }

    /// <summary>All words known and at least one: the scopes they name.</summary>
    public static bool TryParseScopes(IEnumerable<string?> words, out TokenScopes scopes)
    {
        scopes = TokenScopes.None;
        foreach (var word in words)
        {
            var scope = word switch
            {
                "read" => TokenScopes.Read,
                "write" => TokenScopes.Write,
                "delete" => TokenScopes.Delete,
                "admin" => TokenScopes.Admin,
                _ => TokenScopes.None,
            };
            if (scope == TokenScopes.None)
            {
                return false;
            }

            scopes |= scope;
        }

        return scopes != TokenScopes.None;
    }
}
