using Berth.Data.Entities;

namespace Berth.Web.Pages;

/// <summary>A token's scopes as the API names them (<c>read</c>, <c>write</c>, <c>delete</c>, <c>admin</c>), in the forms and tables.</summary>
internal static class TokenScopeWords
{
    public static readonly IReadOnlyList<(TokenScopes Scope, string Word, string Meaning)> All =
    [
        (TokenScopes.Read, "read", "pull images and read through the API"),
        (TokenScopes.Write, "write", "push images, comment, star"),
        (TokenScopes.Delete, "delete", "delete tags, manifests and repositories"),
        (TokenScopes.Admin, "admin", "everything the account may do, including its settings and tokens"),
    ];

    public static string Of(TokenScopes scopes) =>
        string.Join(" ", All.Where(s => scopes.HasFlag(s.Scope)).Select(s => s.Word));

    /// <summary>The scopes named by the form's <c>scope</c> checkboxes; unknown words are ignored (the checkboxes send only known ones).</summary>
    public static TokenScopes Parse(IEnumerable<string?> words)
    {
        var scopes = TokenScopes.None;
        foreach (var word in words)
        {
            scopes |= All.FirstOrDefault(s => s.Word == word).Scope;
        }

        return scopes;
    }
}
