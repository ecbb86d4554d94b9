using Berth.Testing;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// Two Berth processes, A and B, over one data directory: one database (SQLite in WAL mode, or with
/// <c>BERTH_TEST_DATABASE=postgres</c> the PostgreSQL database named for that directory) and one storage (its files, or with
/// <c>BERTH_TEST_STORAGE=s3</c> its key prefix in s3rver), as two nodes
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

    /// <summary>What both nodes stored, behind their API (A's data directory, which B was pointed at).</summary>
    public StoredObjects Storage => StoredObjects.Of(A.DataDir);

    /// <summary>The same upload URL, on <paramref name="node"/>.</summary>
    public static Uri On(RegistryServer node, Uri session) => new(node.BaseUri, session.PathAndQuery);

    /// <summary>Forgets an upload's hash state, as a node without libcrypto would leave it; the number of rows changed.</summary>
    public async Task<int> ForgetHashStateAsync(string uploadId)
    {
        // The database both nodes use (A's data directory, which B was pointed at).
        await using var connection = await ServerDatabase.OpenAsync(A.DataDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE uploads SET \"HashState\" = NULL WHERE \"Id\" = @id";
        ServerDatabase.AddParameter(command, "@id", uploadId);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>One column of an upload's row (null when the row or the value is absent).</summary>
    public Task<object?> UploadColumnAsync(string uploadId, string column) => UploadRow.ColumnAsync(A.DataDir, uploadId, column);

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
