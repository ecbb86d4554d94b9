using Berth.Data.Entities;
using Berth.Index;

namespace Berth.Web.Pages;

/// <summary>A token's scopes in the forms and tables: the API's words (<see cref="IndexWords"/>) with what each allows.</summary>
internal static class TokenScopeWords
{
    public static readonly IReadOnlyList<(TokenScopes Scope, string Word, string Meaning)> All =
    [
        (TokenScopes.Read, "read", "pull images and read through the API"),
        (TokenScopes.Write, "write", "push images, comment, star"),
        (TokenScopes.Delete, "delete", "delete tags, manifests and repositories"),
        (TokenScopes.Admin, "admin", "everything the account may do, including its settings and tokens"),
    ];

    public static string Of(TokenScopes scopes) => string.Join(" ", IndexWords.Words(scopes));
}
