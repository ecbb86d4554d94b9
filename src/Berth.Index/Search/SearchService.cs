using Berth.Data;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Search;

internal sealed class SearchService(BerthDbContext db, IPermissionService permissions) : ISearchService
{
    public async Task<Outcome<SearchResults>> SearchAsync(Principal? caller, string? query, PageRequest page, SearchSort sort, CancellationToken cancellationToken)
    {
        var q = (query ?? "").Trim().ToLowerInvariant();
        if (q.Length > ISearchService.MaxQueryLength)
        {
            return IndexError.Invalid($"the query is limited to {ISearchService.MaxQueryLength} characters");
        }

        // Names are lower case by grammar; descriptions are compared lower-cased.
        var segment = "/" + q;
        var matches = db.Rows(permissions.VisibleRepositories(caller))
            .Where(r => r.Name.Contains(q) || (r.Description != null && r.Description.ToLower().Contains(q)));
        var ranked = matches.Select(r => new
        {
            Row = r,
            Rank = r.Name == q ? 0
                : r.Name.StartsWith(q) || r.Name.EndsWith(segment) ? 1
                : r.Name.Contains(q) ? 2
                : 3,
        });
        var total = await matches.CountAsync(cancellationToken);
        var ordered = sort switch
        {
            SearchSort.Stars => ranked.OrderByDescending(x => x.Row.StarCount).ThenByDescending(x => x.Row.PullCount).ThenBy(x => x.Row.Name),
            SearchSort.Pulls => ranked.OrderByDescending(x => x.Row.PullCount).ThenByDescending(x => x.Row.StarCount).ThenBy(x => x.Row.Name),
            // Spelled out: SQLite sorts NULL first and PostgreSQL last, so ORDER BY alone would differ between them.
            SearchSort.Updated => ranked.OrderBy(x => x.Row.LastPushedAt == null).ThenByDescending(x => x.Row.LastPushedAt).ThenBy(x => x.Row.Name),
            _ => ranked.OrderBy(x => x.Rank).ThenByDescending(x => x.Row.StarCount).ThenByDescending(x => x.Row.PullCount).ThenBy(x => x.Row.Name),
        };
        var rows = await ordered
            .Skip(page.Skip).Take(page.Size)
            .Select(x => x.Row)
            .ToListAsync(cancellationToken);
        return new SearchResults((query ?? "").Trim(), page.Page, page.Size, total, rows.Select(r => r.ToInfo()).ToList());
    }
}
