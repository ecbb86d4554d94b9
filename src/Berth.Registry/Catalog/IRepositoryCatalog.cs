using Berth.Registry.Manifests;

namespace Berth.Registry.Catalog;

/// <summary>The repository listing behind <c>/v2/_catalog</c>.</summary>
public interface IRepositoryCatalog
{
    /// <summary>
    /// Names in lexical order after <paramref name="last"/>. <paramref name="visibleOnly"/> narrows the listing to
    /// what the caller may see; null means everything.
    /// </summary>
    Task<Page<string>> ListAsync(int? limit, string? last, IQueryable<string>? visibleOnly, CancellationToken cancellationToken);
}
