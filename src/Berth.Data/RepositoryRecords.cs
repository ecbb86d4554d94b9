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
    /// creator (<paramref name="createdBy"/>, the pushing token's subject) are one insert-if-absent, so exactly one push
    /// creates it and the row says whose it was; the others read its id. The insert is plain SQL (ON CONFLICT means the
    /// same on SQLite and PostgreSQL): no savepoint, no tracked entity, and a concurrent creation is an answer, not a
    /// caught exception. A new repository changes who may do what (a create grant, a namespace's default), so cached
    /// access decisions are dropped as a save through EF Core would.
    /// </summary>
    public static async Task<long> GetOrCreateIdAsync(this BerthDbContext db, string name, RepositoryDefaults defaults, DateTime now, string? createdBy, CancellationToken cancellationToken)
    {
        var id = await db.FindIdAsync(name, cancellationToken);
        if (id != 0)
        {
            return id;
        }

        var origin = defaults.Origin?.Invoke(name);
        var visibility = (int)(origin?.Visibility ?? defaults.Visibility);
        var mirrorSource = origin?.MirrorSource;
        var created = await db.Database.SqlQuery<long>(
            $"""
            INSERT INTO "repositories" ("Name", "Namespace", "Visibility", "MirrorSource", "CreatedAt", "CreatedBy", "PullCount")
            VALUES ({name}, {NamespaceOf(name)}, {visibility}, {mirrorSource}, {now}, {createdBy}, 0)
            ON CONFLICT ("Name") DO NOTHING RETURNING "Id" AS "Value"
            """).ToListAsync(cancellationToken);
        if (created.Count == 1)
        {
            AccessRulesInterceptor.RulesChanged(db);
            return created[0];
        }

        // Expected when two pushes create one repository: one debug line (EF Core's own error logs are debug too).
        LogCreatedConcurrently(db.GetService<ILoggerFactory>().CreateLogger(typeof(RepositoryRecords).FullName!), name);
        return await db.FindIdAsync(name, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Repository {Name} was created by a concurrent request; its record is used")]
    private static partial void LogCreatedConcurrently(ILogger logger, string name);
}
