using System.Diagnostics.CodeAnalysis;
using Berth.Oci;

namespace Berth.Index.Accounts;

/// <summary>Account and organisation names are namespaces: one repository-name component, 2–64 characters.</summary>
public static class AccountNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "v1", "v2", "api", "token", "login", "logout", "signup", "search", "static", "well-known", "_catalog",
    };

    public static bool IsValid([NotNullWhen(true)] string? name) =>
        name is { Length: >= 2 and <= 64 } && !name.Contains('/') && RepositoryName.IsValid(name) && !Reserved.Contains(name);
}
