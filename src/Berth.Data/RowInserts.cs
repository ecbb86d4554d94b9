using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Berth.Data;

/// <summary>
/// Rows written in one multi-row <c>INSERT</c>, past the change tracker, for hot paths that write many rows no one reads
/// back in the same unit of work (a push's webhook deliveries, ten per push with ten webhooks): as tracked entities each
/// costs a snapshot, a <c>RETURNING</c> and its share of <c>DetectChanges</c>, and holds the database's writer that long.
/// Column names and parameter conversions come from the model, so both providers get what <c>SaveChanges</c> would write.
/// Runs in the context's current transaction, if any.
/// </summary>
public static class RowInserts
{
    /// <summary>Statement size: SQLite allows 32,766 parameters, PostgreSQL 65,535.</summary>
    private const int RowsPerStatement = 200;

    public static async Task InsertRowsAsync<T>(this BerthDbContext db, IReadOnlyList<T> rows, IReadOnlyList<string> properties, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = properties.Select(name => entity.FindProperty(name) ?? throw new InvalidOperationException($"{typeof(T).Name}.{name} is not mapped")).ToArray();
        var head = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(table)!)))}) VALUES ";

        // A command only as the provider's parameter factory.
        await using var factory = db.Database.GetDbConnection().CreateCommand();
        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var text = new StringBuilder(head);
            var parameters = new List<DbParameter>();
            foreach (var row in rows.Skip(start).Take(RowsPerStatement))
            {
                text.Append(parameters.Count == 0 ? "(" : ", (");
                for (var i = 0; i < columns.Length; i++)
                {
                    var name = sql.GenerateParameterName($"r{parameters.Count}");
                    parameters.Add(columns[i].GetRelationalTypeMapping().CreateParameter(factory, name, columns[i].GetGetter().GetClrValue(row), columns[i].IsNullable));
                    text.Append(i == 0 ? "" : ", ").Append(name);
                }

                text.Append(')');
            }

            await db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
        }
    }
}
