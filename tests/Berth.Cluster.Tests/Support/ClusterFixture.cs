using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Berth.Cluster.Tests.Support;

/// <summary>
/// The cluster of issue 10 on loopback: a PostgreSQL of its own (the fault tests stop it), s3rver, three Berth nodes
/// sharing the database, the bucket and one token signing key, and nginx round robin in front. Started once for the
/// collection; tests that break a part (kill a node, stop the database or the store) bring it back before they end.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string AdminPassword = "Adm1n-Cluster-Passw0rd";

    /// <summary>Claims on uploads lapse this fast, so a killed node's upload continues elsewhere within a test.</summary>
    public const int ClaimSeconds = 3;

    private readonly string _keyDir = Path.Combine(Path.GetTempPath(), "berth-tests", "cluster-keys-" + Guid.NewGuid().ToString("N")[..12]);
    private PrivatePostgres? _postgres;
    private S3rver? _s3;
    private Nginx? _nginx;
    private RegistryServer[] _nodes = [];

    public PrivatePostgres Postgres => _postgres ?? throw new InvalidOperationException("not started");

    public S3rver S3 => _s3 ?? throw new InvalidOperationException("not started");

    public Nginx Balancer => _nginx ?? throw new InvalidOperationException("not started");

    public IReadOnlyList<RegistryServer> Nodes => _nodes;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_keyDir);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var postgres = PrivatePostgres.CreateAsync();
        var s3 = S3rver.StartAsync();
        _postgres = await postgres;
        _s3 = await s3;
        string[] args =
        [
            "--database", "postgres",
            "--connection-string", _postgres.ConnectionString("berth"),
            .. _s3.ServerArgs(),
            "--token-key", Path.Combine(_keyDir, "token-signing.pem"),
            "--trusted-proxies", "127.0.0.1/32",
            "--admin-password", AdminPassword,
            "--Berth:BcryptWorkFactor", "4",
            "--Berth:UploadClaimSeconds", ClaimSeconds.ToString(CultureInfo.InvariantCulture),
        ];

        // The first node creates the database, the schema, the admin account and the signing key; the others start
        // together (migrations run under an advisory lock) and load that key.
        var first = await RegistryServer.StartAsync(extraArgs: args, defaultAuth: true);
        var others = await Task.WhenAll(
            RegistryServer.StartAsync(extraArgs: args, defaultAuth: true),
            RegistryServer.StartAsync(extraArgs: args, defaultAuth: true));
        _nodes = [first, .. others];
        _nginx = await Nginx.StartAsync(_nodes.Select(n => n.HostPort));
        Console.WriteLine($"cluster started in {started.Elapsed.TotalSeconds:0.0} s: nginx {Balancer.HostPort} → {string.Join(", ", _nodes.Select(n => n.HostPort))}");
    }

    /// <summary>An HTTP client that does the token dance (realm from the challenge) as <paramref name="user"/>.</summary>
    public static HttpClient Client(Uri baseUri, string? user = "admin", string? password = AdminPassword) =>
        new(new TokenAuthHandler(user, password, new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false }))
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(120),
        };

    /// <summary>A plain client with HTTP Basic credentials (for the REST API and /token).</summary>
    public static HttpClient BasicClient(Uri baseUri, string user = "admin", string password = AdminPassword)
    {
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }

    /// <summary>
    /// The nodes' logged failures (their console log puts each entry, exception included, on one line), for an
    /// assertion's message: the nodes' logs are deleted with the fixture, and a status code alone explains nothing.
    /// </summary>
    public string NodeFailures(int perNode = 5)
    {
        var report = new StringBuilder();
        foreach (var node in _nodes)
        {
            var failures = node.ReadLog().Split('\n')
                .Where(line => line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
                .TakeLast(perNode)
                .Select(line => line.Length > 3000 ? line[..3000] + " …" : line);
            foreach (var line in failures)
            {
                report.Append(CultureInfo.InvariantCulture, $"\n[{node.HostPort}] {line}");
            }
        }

        return report.ToString();
    }

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try
        {
            Directory.Delete(_keyDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
