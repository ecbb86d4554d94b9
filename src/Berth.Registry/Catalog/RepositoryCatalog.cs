using Berth.Data;
using Berth.Registry.Manifests;

namespace Berth.Registry.Catalog;

internal sealed class RepositoryCatalog(BerthDbContext db) : IRepositoryCatalog
{
    public Task<Page<string>> ListAsync(int? limit, string? last, IQueryable<string>? visibleOnly, CancellationToken cancellationToken)
    {
        var query = db.Repositories.Select(r => r.Name);
        if (!string.IsNullOrEmpty(last))
        {
            query = query.Where(n => string.Compare(n, last) > 0);
        }

        if (visibleOnly is not null)
        {
            query = query.Where(n => visibleOnly.Contains(n));
        }

        return Paging.TakePageAsync(query.OrderBy(n => n), limit, cancellationToken);
    }
}
