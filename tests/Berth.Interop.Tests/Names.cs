namespace Berth.Interop.Tests;

internal static class Names
{
    /// <summary>A repository name unique to one test: "interop/&lt;prefix&gt;-&lt;8 hex&gt;".</summary>
    public static string Repo(string prefix) => $"interop/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
