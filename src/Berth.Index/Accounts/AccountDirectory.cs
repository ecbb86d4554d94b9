using Berth.Data;
using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

internal sealed class AccountDirectory(BerthDbContext db) : IAccountDirectory
{
    public async Task<Outcome<DirectoryPage>> ListAsync(Principal caller, PageRequest page, CancellationToken cancellationToken)
    {
        if (Credentials.RequireSiteAdmin(caller) is { } denied)
        {
            return denied;
        }

        // Users and organisations share one name space (namespaces), so one list ordered by name, paged in the database.
        var users = db.Accounts.AsNoTracking()
            .Select(a => new DirectoryRow { Name = a.Name, Kind = NamespaceKind.User, CreatedAt = a.CreatedAt, IsAdmin = a.IsAdmin, IsDisabled = a.IsDisabled });
        var organizations = db.Organizations.AsNoTracking()
            .Select(o => new DirectoryRow { Name = o.Name, Kind = NamespaceKind.Organization, CreatedAt = o.CreatedAt, IsAdmin = false, IsDisabled = false });
        var rows = await users.Concat(organizations)
            .OrderBy(r => r.Name).ThenBy(r => r.Kind)
            .Skip(page.Skip).Take(page.Size)
            .ToListAsync(cancellationToken);
        var total = await db.Accounts.CountAsync(cancellationToken) + await db.Organizations.CountAsync(cancellationToken);
        return new DirectoryPage(rows.Select(r => new DirectoryEntry(r.Name, r.Kind, Times.Utc(r.CreatedAt), r.IsAdmin, r.IsDisabled)).ToList(), total);
    }

    /// <summary>The shape both halves of the union project to (EF needs one type with settable members for it).</summary>
    private sealed class DirectoryRow
    {
        public required string Name { get; init; }

        public NamespaceKind Kind { get; init; }

        public DateTime CreatedAt { get; init; }

        public bool IsAdmin { get; init; }

        public bool IsDisabled { get; init; }
    }
}
