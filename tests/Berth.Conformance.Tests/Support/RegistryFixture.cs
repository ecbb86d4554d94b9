using Berth.Testing;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// Which registry the suite runs against: Berth by default, CNCF Distribution 2.8.2 with
/// <c>BERTH_TEST_TARGET=distribution</c> (used to validate the suite itself).
/// </summary>
public static class TestTarget
{
    public const string AdminPassword = "Conformance-Adm1n!";

    public static RegistryKind Kind =>
        string.Equals(Environment.GetEnvironmentVariable("BERTH_TEST_TARGET"), "distribution", StringComparison.OrdinalIgnoreCase)
            ? RegistryKind.Distribution
            : RegistryKind.Berth;

    /// <summary>
    /// <c>BERTH_CONFORMANCE_AUTH=token</c>: Berth runs with <c>--auth token</c>, and every request of the suite goes
    /// through the Docker token handshake (challenge → token from <c>/token</c> with the admin's username and
    /// password → retry), as a logged-in client's would.
    /// </summary>
    public static bool TokenAuth =>
        Kind == RegistryKind.Berth &&
        string.Equals(Environment.GetEnvironmentVariable("BERTH_CONFORMANCE_AUTH"), "token", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One registry process per test class, started before its first test and killed after its last.</summary>
public class RegistryFixture : IAsyncLifetime
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    // A request killed with its server holds its upload until the claim lapses: short here, so fault tests resume quickly.
    private static readonly string[] ShortUploadClaim = ["--Berth:UploadClaimSeconds", "3"];

    private RegistryServer? _server;
    private HttpClient? _http;
    private TokenAuthenticator? _tokens;

    public RegistryServer Server => _server ?? throw new InvalidOperationException("The registry is not started.");

    /// <summary>A client whose base address is the registry root (requests use paths like <c>v2/…</c>).</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("The registry is not started.");

    public RegistryApi Api => new(Http);

    public Uri BaseUri => Server.BaseUri;

    public int Port => Server.Port;

    /// <summary>In token mode, the handshake's credentials and token cache, shared by every client of this fixture.</summary>
    public TokenAuthenticator? Tokens => _tokens;

    public async Task InitializeAsync()
    {
        if (TestTarget.TokenAuth)
        {
            // bcrypt at its lowest cost: every token request checks the admin password, and the KDF is not under test here.
            _server = await RegistryServer.StartAsync(TestTarget.Kind, extraArgs:
                ["--auth", "token", "--admin-password", TestTarget.AdminPassword, "--Berth:BcryptWorkFactor", "4", .. ShortUploadClaim]);
            _tokens = new TokenAuthenticator("admin", TestTarget.AdminPassword);
            RawHttp.Authenticators[_server.Port] = _tokens;
        }
        else
        {
            _server = await RegistryServer.StartAsync(TestTarget.Kind, extraArgs: TestTarget.Kind == RegistryKind.Berth ? ShortUploadClaim : null);
        }

        _http = NewClient();
        if (_tokens is not null)
        {
            // Learns the realm, so that even a first request with a one-shot body can carry a token.
            using var ping = await _http.GetAsync("v2/");
            if (ping.StatusCode != System.Net.HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"token handshake against {_server.BaseUri} failed: {(int)ping.StatusCode} {await ping.Content.ReadAsStringAsync()}");
            }
        }
    }

    /// <summary>Another client for this registry (own connection pool and timeout), authenticating like <see cref="Http"/>.</summary>
    public HttpClient NewClient(TimeSpan? timeout = null) => _tokens is null
        ? CreateClient(Server.BaseUri, timeout)
        : new HttpClient(new TokenAuthHandler(_tokens, CreateHandler())) { BaseAddress = Server.BaseUri, Timeout = timeout ?? DefaultTimeout };

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            RawHttp.Authenticators.TryRemove(_server.Port, out _);
        }

        _tokens?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A plain client (no credentials) for <paramref name="baseUri"/>.</summary>
    public static HttpClient CreateClient(Uri baseUri, TimeSpan? timeout = null) =>
        new(CreateHandler()) { BaseAddress = baseUri, Timeout = timeout ?? DefaultTimeout };

    private static SocketsHttpHandler CreateHandler() => new()
    {
        // Blob GETs may redirect (spec allows 307); everything else is asserted on the raw response.
        AllowAutoRedirect = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };
}
