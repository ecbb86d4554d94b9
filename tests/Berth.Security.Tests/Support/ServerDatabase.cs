using System.Data.Common;
using Berth.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Berth.Security.Tests.Support;

/// <summary>
/// A connection to a running server's own database (its SQLite file, or its PostgreSQL database in the PostgreSQL
/// pass), for a test to see or set up what the API does not show: rows a cascade removed, rows another subsystem writes.
/// </summary>
public static class ServerDatabase
{
    public static async Task<DbConnection> OpenAsync(RegistryServer server)
    {
        DbConnection connection = TestPostgres.Enabled
            ? new NpgsqlConnection(TestPostgres.ConnectionString(TestPostgres.DatabaseFor(server.DataDir)))
            : new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "berth.db")};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs one statement with positional parameters <c>@p0</c>, <c>@p1</c>, … and returns its first column of its first row.</summary>
    public static async Task<object?> ScalarAsync(RegistryServer server, string sql, params object?[] parameters)
    {
        await using var connection = await OpenAsync(server);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"p{i}";
            parameter.Value = parameters[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteScalarAsync();
    }
}
