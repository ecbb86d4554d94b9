using System.Data.Common;
using Berth.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// Two Berth processes, A and B, over one data directory: one database (SQLite in WAL mode, or with
/// <c>BERTH_TEST_DATABASE=postgres</c> the PostgreSQL database named for that directory) and one storage root, as two nodes
/// behind a load balancer would share them. Claims on uploads lapse after 4 s, so a dead node's claim goes stale within a test.
/// </summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    public const int ClaimSeconds = 4;

    private RegistryServer? _a;
    private RegistryServer? _b;
    private HttpClient? _httpA;
    private HttpClient? _httpB;

    public RegistryServer A => _a ?? throw new InvalidOperationException("node A is not started");

    public RegistryServer B => _b ?? throw new InvalidOperationException("node B is not started");

    public RegistryApi ApiA => new(_httpA ?? throw new InvalidOperationException("node A is not started"));

    public RegistryApi ApiB => new(_httpB ?? throw new InvalidOperationException("node B is not started"));

    public async Task InitializeAsync()
    {
        string[] claim = ["--Berth:UploadClaimSeconds", ClaimSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        _a = await RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: claim);
        // Later arguments win: B's own --data-dir (an empty directory) is replaced by A's.
        _b = await RegistryServer.StartAsync(RegistryKind.Berth, extraArgs: ["--data-dir", _a.DataDir, .. claim]);
        _httpA = RegistryFixture.CreateClient(_a.BaseUri, TimeSpan.FromSeconds(60));
        _httpB = RegistryFixture.CreateClient(_b.BaseUri, TimeSpan.FromSeconds(60));
    }

    /// <summary>The same upload URL, on <paramref name="node"/>.</summary>
    public static Uri On(RegistryServer node, Uri session) => new(node.BaseUri, session.PathAndQuery);

    /// <summary>Forgets an upload's hash state, as a node without libcrypto would leave it; the number of rows changed.</summary>
    public async Task<int> ForgetHashStateAsync(string uploadId)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE uploads SET \"HashState\" = NULL WHERE \"Id\" = @id";
        AddParameter(command, "@id", uploadId);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>One column of an upload's row (null when the row or the value is absent).</summary>
    public async Task<object?> UploadColumnAsync(string uploadId, string column)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM uploads WHERE \"Id\" = @id";
        AddParameter(command, "@id", uploadId);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>The database both nodes use (A's data directory, which B was pointed at), as another process would open it.</summary>
    private async Task<DbConnection> OpenDatabaseAsync()
    {
        DbConnection connection = TestPostgres.Enabled
            ? new NpgsqlConnection(TestPostgres.ConnectionString(TestPostgres.DatabaseFor(A.DataDir)))
            : new SqliteConnection($"Data Source={Path.Combine(A.DataDir, "berth.db")};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public async Task DisposeAsync()
    {
        _httpA?.Dispose();
        _httpB?.Dispose();
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        if (_a is not null)
        {
            await _a.DisposeAsync();
        }
    }
}
