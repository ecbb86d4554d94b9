using Berth.Registry.Manifests;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry;

internal static class Paging
{
    /// <summary>Largest page served, whatever <c>n</c> asks for; the <c>Link</c> header leads on.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>One query for a page: fetch one row more than asked to learn whether there is a next page.</summary>
    public static async Task<Page<string>> TakePageAsync(IQueryable<string> ordered, int? limit, CancellationToken cancellationToken)
    {
        var size = Math.Min(limit ?? MaxPageSize, MaxPageSize);
        if (size <= 0)
        {
            return new Page<string>([], false);
        }

        var rows = await ordered.Take(size + 1).ToListAsync(cancellationToken);
        var hasMore = rows.Count > size;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new Page<string>(rows, hasMore);
    }
}
