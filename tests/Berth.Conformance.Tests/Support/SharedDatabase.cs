using System.Data.Common;
using Berth.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// The database of the servers on one data directory, opened as another process would: the SQLite file, or with
/// <c>BERTH_TEST_DATABASE=postgres</c> the PostgreSQL database named for that directory.
/// </summary>
public static class SharedDatabase
{
    public static async Task<DbConnection> OpenAsync(string dataDir)
    {
        DbConnection connection = TestPostgres.Enabled
            ? new NpgsqlConnection(TestPostgres.ConnectionString(TestPostgres.DatabaseFor(dataDir)))
            : new SqliteConnection($"Data Source={Path.Combine(dataDir, "berth.db")};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>One column of an upload's row (null when the row or the value is absent).</summary>
    public static async Task<object?> UploadColumnAsync(string dataDir, string uploadId, string column)
    {
        await using var connection = await OpenAsync(dataDir);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM uploads WHERE \"Id\" = @id";
        AddParameter(command, "@id", uploadId);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
