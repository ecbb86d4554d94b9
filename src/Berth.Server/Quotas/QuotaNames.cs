using Berth.Oci;

namespace Berth.Server.Quotas;

/// <summary>What the API and the console command accept as a namespace.</summary>
internal static class QuotaNames
{
    public const string NotANamespace = "not a namespace name (a repository name's first path segment)";

    /// <summary>A repository name's first path segment; top-level repositories have no namespace and no quota.</summary>
    public static bool IsNamespace(string? name) => RepositoryName.IsValid(name) && !name.Contains('/', StringComparison.Ordinal);
}
