using Berth.Testing;
using Npgsql;

namespace Berth.Postgres.Tests.Support;

/// <summary>An empty database on the test cluster (<c>BERTH_TEST_PG</c>), dropped at dispose.</summary>
public sealed class FreshDatabase : IAsyncDisposable
{
    private FreshDatabase(string name)
    {
        Name = name;
        ConnectionString = TestPostgres.ConnectionString(name);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>The server arguments that put a Berth on this database.</summary>
    public IReadOnlyList<string> ServerArgs => ["--database", "postgres", "--connection-string", ConnectionString];

    public static async Task<FreshDatabase> CreateAsync()
    {
        var name = $"berth_{Guid.NewGuid():N}";
        await TestPostgres.AcquireAsync(name);
        return new FreshDatabase(name);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Whether a session of this database waits for an advisory lock (a writer held up by another's transaction).</summary>
    public async Task<bool> WaitingForAdvisoryLockAsync() =>
        await ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") > 0;

    public ValueTask DisposeAsync() => new(TestPostgres.ReleaseAsync(Name));
}
