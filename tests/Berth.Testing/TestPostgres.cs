using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Berth.Testing;

/// <summary>
/// The PostgreSQL the tests run against when <c>BERTH_TEST_DATABASE=postgres</c>: <c>BERTH_TEST_PG</c> is a connection
/// string to the test cluster's maintenance database (test.sh starts a throw-away cluster and sets both). Every Berth
/// data directory gets a database of its own, named from the directory, so servers started on one data directory
/// (a restart, a second node) share it as they would share the SQLite file.
/// </summary>
public static class TestPostgres
{
    private static readonly Dictionary<string, int> Users = new(StringComparer.Ordinal);
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Whether the Berth servers of this test run keep their metadata in PostgreSQL.</summary>
    public static bool Enabled =>
        string.Equals(Environment.GetEnvironmentVariable("BERTH_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The maintenance database's connection string; a clear failure when the cluster is not configured.</summary>
    public static string MaintenanceConnectionString =>
        Environment.GetEnvironmentVariable("BERTH_TEST_PG") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("BERTH_TEST_PG is not set: run the tests through test.sh, which starts a PostgreSQL cluster, or set it to a maintenance-database connection string");

    /// <summary>The database for a data directory: the same directory, the same database.</summary>
    public static string DatabaseFor(string dataDir) =>
        "berth_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir))))[..24];

    public static string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(MaintenanceConnectionString) { Database = database }.ConnectionString;

    /// <summary>Creates <paramref name="database"/> unless this process already uses it; each call needs one <see cref="ReleaseAsync"/>.</summary>
    public static async Task AcquireAsync(string database, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (Users.TryGetValue(database, out var count))
            {
                Users[database] = count + 1;
                return;
            }

            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", cancellationToken);
            await ExecuteAsync($"CREATE DATABASE \"{database}\"", cancellationToken);
            Users[database] = 1;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Drops <paramref name="database"/> when its last user in this process releases it.</summary>
    public static async Task ReleaseAsync(string database)
    {
        await Gate.WaitAsync();
        try
        {
            if (!Users.TryGetValue(database, out var count))
            {
                return;
            }

            if (count > 1)
            {
                Users[database] = count - 1;
                return;
            }

            Users.Remove(database);
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(MaintenanceConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
