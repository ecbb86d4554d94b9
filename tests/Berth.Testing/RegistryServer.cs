using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Berth.Testing;

/// <summary>Which registry implementation a test process runs.</summary>
public enum RegistryKind
{
    Berth,
    Distribution,
}

/// <summary>
/// A registry running as a real child process on a free loopback port, as users run it.
/// Tests can kill it (SIGKILL) and start it again on the same data directory and port.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly string _workDir;
    private readonly IReadOnlyList<string> _extraArgs;
    private readonly string? _htpasswdFile;
    private readonly string _readyPath;
    private readonly bool _defaultAuth;
    private readonly string _scheme;
    private readonly DistributionProxy? _proxy;
    private Process? _process;
    private string? _database;
    private IReadOnlyList<string> _storageArgs = [];

    private RegistryServer(RegistryKind kind, string workDir, int port, string? htpasswdFile, IReadOnlyList<string> extraArgs, string readyPath, bool defaultAuth, string scheme, DistributionProxy? proxy)
    {
        _scheme = scheme;
        _proxy = proxy;
        _readyPath = readyPath;
        _defaultAuth = defaultAuth;
        Kind = kind;
        _workDir = workDir;
        Port = port;
        _htpasswdFile = htpasswdFile;
        _extraArgs = extraArgs;
        DataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(DataDir);
    }

    public RegistryKind Kind { get; }

    public int Port { get; }

    /// <summary>
    /// Where the registry keeps its blobs and metadata (by default; <c>BERTH_TEST_DATABASE</c> and <c>BERTH_TEST_STORAGE</c>
    /// move them to a database and a key prefix named from it: read stored objects through <see cref="StoredObjects"/>).
    /// </summary>
    public string DataDir { get; }

    /// <summary>"127.0.0.1:PORT", the form skopeo/podman take as a registry host.</summary>
    public string HostPort => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"{_scheme}://{HostPort}/");

    public int ProcessId => _process?.Id ?? 0;

    public string LogFile => Path.Combine(_workDir, "server.log");

    /// <summary>
    /// Starts Berth (the server built alongside the tests) or Distribution 2.8.2 and waits until <paramref name="readyPath"/>
    /// (default <c>v2/</c>; an index-only Berth has no <c>/v2</c>, use <c>.well-known/jwks.json</c>) answers 200 or 401.
    /// Berth gets <c>--auth none</c> unless <paramref name="extraArgs"/> names <c>--auth</c> or <paramref name="defaultAuth"/>
    /// asks for the role's own default. With <paramref name="scheme"/> <c>https</c> Berth listens on an https:// URL (the
    /// arguments must give it a certificate); the readiness probe then accepts any certificate. With <paramref name="proxy"/>
    /// Distribution runs as a pull-through cache of that upstream (its <c>proxy:</c> section).
    /// </summary>
    public static async Task<RegistryServer> StartAsync(
        RegistryKind kind = RegistryKind.Berth,
        string? htpasswdFile = null,
        IReadOnlyList<string>? extraArgs = null,
        string readyPath = "v2/",
        bool defaultAuth = false,
        int? port = null,
        string scheme = "http",
        DistributionProxy? proxy = null,
        CancellationToken cancellationToken = default)
    {
        if (proxy is not null && kind != RegistryKind.Distribution)
        {
            throw new ArgumentException("Only Distribution is configured as a proxy here; Berth takes --mirror.", nameof(proxy));
        }

        var workDir = Path.Combine(Path.GetTempPath(), "berth-tests", $"{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(workDir);
        var server = new RegistryServer(kind, workDir, port ?? FreeLoopbackPort(), htpasswdFile, extraArgs ?? [], readyPath, defaultAuth, scheme, proxy);
        await server.UsePostgresIfAskedAsync(cancellationToken);
        await server.UseS3IfAskedAsync(cancellationToken);
        await server.RestartAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts the process (again) on the same port and data directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The registry is still running.");
        }

        var info = Kind == RegistryKind.Berth ? BerthStartInfo() : DistributionStartInfo();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.Exited += (_, _) => WriteLog(log, $"--- exited with {SafeExitCode(process)}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a crash looks like.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Peak resident set size of the server process so far (VmHWM), in bytes.</summary>
    public long PeakRssBytes() => ReadProcStatusKiB("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS), in bytes.</summary>
    public long RssBytes() => ReadProcStatusKiB("VmRSS:") * 1024;

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (_database is not null)
        {
            await TestPostgres.ReleaseAsync(_database);
        }

        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a test on clean-up.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private ProcessStartInfo BerthStartInfo()
    {
        var dll = Environment.GetEnvironmentVariable("BERTH_SERVER_DLL") ?? ServerDllFromBuild();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _workDir };

        // A home of its own, as each node of a real cluster has: what a server might keep there (ASP.NET's default
        // key ring) is then never shared by accident between test servers, nor taken from the user's own home.
        info.Environment["HOME"] = _workDir;
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"{_scheme}://127.0.0.1:{Port}");
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(DataDir);
        if (_htpasswdFile is not null)
        {
            info.ArgumentList.Add("--auth");
            info.ArgumentList.Add("htpasswd");
            info.ArgumentList.Add("--htpasswd");
            info.ArgumentList.Add(_htpasswdFile);
        }
        else if (!_extraArgs.Contains("--auth") && !_defaultAuth)
        {
            info.ArgumentList.Add("--auth");
            info.ArgumentList.Add("none");
        }

        if (_database is not null)
        {
            info.ArgumentList.Add("--database");
            info.ArgumentList.Add("postgres");
            info.ArgumentList.Add("--connection-string");
            info.ArgumentList.Add(TestPostgres.ConnectionString(_database));
        }

        foreach (var arg in _storageArgs.Concat(_extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>
    /// With <c>BERTH_TEST_DATABASE=postgres</c>, a Berth whose arguments choose no database gets the PostgreSQL
    /// database of its data directory (its own, or the one <c>--data-dir</c> in its arguments names: servers on one
    /// data directory share one database, as they would share the SQLite file).
    /// </summary>
    private async Task UsePostgresIfAskedAsync(CancellationToken cancellationToken)
    {
        if (Kind != RegistryKind.Berth || !TestPostgres.Enabled || _extraArgs.Contains("--database") || _extraArgs.Contains("--connection-string"))
        {
            return;
        }

        var database = TestPostgres.DatabaseFor(EffectiveDataDir());
        await TestPostgres.AcquireAsync(database, cancellationToken);
        _database = database;
    }

    /// <summary>
    /// With <c>BERTH_TEST_STORAGE=s3</c>, a Berth whose arguments choose no storage keeps its blobs in this process's
    /// s3rver, under the key prefix of its data directory (as for the database: one data directory, one storage).
    /// </summary>
    private async Task UseS3IfAskedAsync(CancellationToken cancellationToken)
    {
        if (Kind != RegistryKind.Berth || !TestStorage.S3Enabled || _extraArgs.Contains("--storage"))
        {
            return;
        }

        _storageArgs = await TestStorage.ServerArgsAsync(EffectiveDataDir(), cancellationToken);
    }

    /// <summary>The data directory the server runs on: its own, or the one <c>--data-dir</c> in its arguments names (the last wins).</summary>
    private string EffectiveDataDir()
    {
        var dataDir = DataDir;
        for (var i = 0; i < _extraArgs.Count - 1; i++)
        {
            if (_extraArgs[i] == "--data-dir")
            {
                dataDir = _extraArgs[i + 1];
            }
        }

        return dataDir;
    }

    private ProcessStartInfo DistributionStartInfo()
    {
        var config = Path.Combine(_workDir, "config.yml");
        var auth = _htpasswdFile is null
            ? ""
            : $"auth:\n  htpasswd:\n    realm: registry\n    path: {_htpasswdFile}\n";
        var proxy = _proxy is null ? "" : _proxy.ConfigSection();
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {DataDir}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
            {auth}
            {proxy}
            """);
        var info = new ProcessStartInfo("docker-registry") { WorkingDirectory = _workDir };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        return info;
    }

    private static string ServerDllFromBuild()
    {
        var path = typeof(RegistryServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "BerthServerDll").Value!;
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Berth.Server was not built at {path}; build the solution first.", path);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        // Readiness only: whether the certificate is right is for the test to find out with the clients it drives.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } exited)
            {
                // Waits for the redirected output to be read to its end, so the log holds the process's last words.
                await exited.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException($"{Kind} exited during start-up:\n{ReadLog()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, _readyPath), cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Kind} did not answer /{_readyPath} within 60 s:\n{ReadLog()}");
    }

    private long ReadProcStatusKiB(string field)
    {
        if (_process is null || _process.HasExited)
        {
            return 0;
        }

        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>A port nothing listens on now, for a server whose address others must know before it starts.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WriteLog(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}
