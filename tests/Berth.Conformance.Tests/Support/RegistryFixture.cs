using Berth.Testing;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// Which registry the suite runs against: Berth by default, CNCF Distribution 2.8.2 with
/// <c>BERTH_TEST_TARGET=distribution</c> (used to validate the suite itself).
/// </summary>
public static class TestTarget
{
    public static RegistryKind Kind =>
        string.Equals(Environment.GetEnvironmentVariable("BERTH_TEST_TARGET"), "distribution", StringComparison.OrdinalIgnoreCase)
            ? RegistryKind.Distribution
            : RegistryKind.Berth;
}

/// <summary>One registry process per test class, started before its first test and killed after its last.</summary>
public class RegistryFixture : IAsyncLifetime
{
    private RegistryServer? _server;
    private HttpClient? _http;

    public RegistryServer Server => _server ?? throw new InvalidOperationException("The registry is not started.");

    /// <summary>A client whose base address is the registry root (requests use paths like <c>v2/…</c>).</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("The registry is not started.");

    public RegistryApi Api => new(Http);

    public Uri BaseUri => Server.BaseUri;

    public int Port => Server.Port;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(TestTarget.Kind);
        _http = CreateClient(_server.BaseUri);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static HttpClient CreateClient(Uri baseUri, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Blob GETs may redirect (spec allows 307); everything else is asserted on the raw response.
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        return new HttpClient(handler) { BaseAddress = baseUri, Timeout = timeout ?? TimeSpan.FromSeconds(120) };
    }
}
