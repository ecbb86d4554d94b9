using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Berth.Data.Postgres;

/// <summary>
/// Gives PostgreSQL transactions SQLite's write semantics: Microsoft.Data.Sqlite begins every transaction IMMEDIATE,
/// so one writer at a time, and the services' read-then-write transactions (a tag's existence checked, then inserted;
/// a manifest looked up, then added) were written against that. Here each transaction first takes one cluster-wide
/// transaction advisory lock, released at commit or rollback; reads outside transactions, single-statement writes
/// (uploads, blob links, claims) and readers never wait for it. Taken before the transaction's first statement, it
/// holds nothing while it waits, so it cannot deadlock with another transaction.
/// </summary>
internal sealed class SerializedTransactions : DbTransactionInterceptor
{
    public static readonly SerializedTransactions Instance = new();

    private static readonly string Sql = FormattableString.Invariant($"SELECT pg_advisory_xact_lock({AdvisoryLocks.Transactions})");

    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        using var command = Command(connection, result);
        command.ExecuteNonQuery();
        return result;
    }

    public override async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await using var command = Command(connection, result);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return result;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Sql;
        return command;
    }
}
