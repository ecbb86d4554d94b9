using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data.Quotas;

/// <summary>Setting and removing a namespace's quota: the one way the API and <c>berth-server admin quota</c> both use.</summary>
public static class QuotaSettings
{
    // Asked by every upload, mount and link: compiled once rather than rebuilt and looked up per call.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<NamespaceQuota?>> QuotaOf =
        EF.CompileAsyncQuery((BerthDbContext db, string @namespace, CancellationToken cancellationToken) =>
            db.NamespaceQuotas.AsNoTracking().FirstOrDefault(q => q.Namespace == @namespace));

    /// <summary>
    /// Sets or changes the quota. A new one starts from a recount of the links, in a transaction serialised with every
    /// link and unlink (SQLite's one writer, PostgreSQL's transaction lock), so no push falls between the count and the
    /// row that keeps it; a changed one keeps its usage.
    /// </summary>
    public static async Task<NamespaceQuota> SetQuotaAsync(this BerthDbContext db, string @namespace, long limitBytes, DateTime now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var quota = await db.NamespaceQuotas.FirstOrDefaultAsync(q => q.Namespace == @namespace, cancellationToken);
        if (quota is null)
        {
            quota = new NamespaceQuota { Namespace = @namespace, UsedBytes = await db.CountAsync(@namespace, cancellationToken) };
            db.NamespaceQuotas.Add(quota);
        }

        quota.LimitBytes = limitBytes;
        quota.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return quota;
    }

    /// <summary>Removes the quota (its usage is no longer kept); false when the namespace had none.</summary>
    public static async Task<bool> RemoveQuotaAsync(this BerthDbContext db, string @namespace, CancellationToken cancellationToken) =>
        await db.NamespaceQuotas.Where(q => q.Namespace == @namespace).ExecuteDeleteAsync(cancellationToken) > 0;

    /// <summary>The namespace's quota and usage; null when it has none (<see cref="NamespaceUsage.CountAsync"/> counts its usage then).</summary>
    public static Task<NamespaceQuota?> FindQuotaAsync(this BerthDbContext db, string @namespace, CancellationToken cancellationToken) =>
        QuotaOf(db, @namespace, cancellationToken);
}
