using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Berth.Testing;

/// <summary>
/// The database of the servers on one data directory, opened as another process would: its SQLite file, or with
/// <c>BERTH_TEST_DATABASE=postgres</c> the PostgreSQL database named for that directory. For a test to see or set up
/// what the API does not show: rows a cascade removed, rows another subsystem writes.
/// </summary>
public static class ServerDatabase
{
    public static Task<DbConnection> OpenAsync(RegistryServer server) => OpenAsync(server.DataDir);

    public static async Task<DbConnection> OpenAsync(string dataDir)
    {
        DbConnection connection = TestPostgres.Enabled
            ? new NpgsqlConnection(TestPostgres.ConnectionString(TestPostgres.DatabaseFor(dataDir)))
            : new SqliteConnection($"Data Source={Path.Combine(dataDir, "berth.db")};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    public static Task<object?> ScalarAsync(RegistryServer server, string sql, params object?[] parameters) =>
        ScalarAsync(server.DataDir, sql, parameters);

    /// <summary>Runs one statement with positional parameters <c>@p0</c>, <c>@p1</c>, … and returns its first column of its first row.</summary>
    public static async Task<object?> ScalarAsync(string dataDir, string sql, params object?[] parameters)
    {
        await using var connection = await OpenAsync(dataDir);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++)
        {
            AddParameter(command, $"p{i}", parameters[i] ?? DBNull.Value);
        }

        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs one statement with positional parameters <c>@p0</c>, <c>@p1</c>, …; the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(RegistryServer server, string sql, params object?[] parameters)
    {
        await using var connection = await OpenAsync(server.DataDir);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++)
        {
            AddParameter(command, $"p{i}", parameters[i] ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync();
    }

    public static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
