using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Berth.Data;

/// <summary>Finding and creating repository records, shared by the registry's stores and the index's event records.</summary>
public static partial class RepositoryRecords
{
    // Asked by every link, mount and manifest push: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<long>> IdOf =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Repositories.Where(r => r.Name == name).Select(r => r.Id).FirstOrDefault());

    public static Task<long> FindIdAsync(this BerthDbContext db, string name, CancellationToken cancellationToken) =>
        IdOf(db, name, cancellationToken);

    /// <summary>The owning namespace: the first path segment, or empty for a single-segment (top-level) name.</summary>
    public static string NamespaceOf(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : name[..slash];
    }

    /// <summary>
    /// The repository's id, creating the record on first push. Safe against a concurrent first push: the row and its
    /// creator (<paramref name="createdBy"/>, the pushing token's subject) are one INSERT, so exactly one push creates
    /// it and the row says whose it was.
    /// </summary>
    public static async Task<long> GetOrCreateIdAsync(this BerthDbContext db, string name, RepositoryDefaults defaults, DateTime now, string? createdBy, CancellationToken cancellationToken)
    {
        var id = await db.FindIdAsync(name, cancellationToken);
        if (id != 0)
        {
            return id;
        }

        var origin = defaults.Origin?.Invoke(name);
        var record = new RepositoryRecord
        {
            Name = name,
            Namespace = NamespaceOf(name),
            Visibility = origin?.Visibility ?? defaults.Visibility,
            MirrorSource = origin?.MirrorSource,
            CreatedAt = now,
            CreatedBy = createdBy,
        };
        db.Repositories.Add(record);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return record.Id;
        }
        catch (DbUpdateException)
        {
            // Another request created it between our read and our insert: its row (and its creator) stands, ours is
            // dropped, and nothing else the context tracks is touched. If no row exists, the failure was something else.
            db.Entry(record).State = EntityState.Detached;
            var existing = await db.FindIdAsync(name, cancellationToken);
            if (existing == 0)
            {
                throw;
            }

            // Expected when two pushes create one repository: one debug line (EF Core's own error logs are debug too).
            LogCreatedConcurrently(db.GetService<ILoggerFactory>().CreateLogger(typeof(RepositoryRecords).FullName!), name);
            return existing;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Repository {Name} was created by a concurrent request; its record is used")]
    private static partial void LogCreatedConcurrently(ILogger logger, string name);
}
