using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Berth.Bench;

/// <summary>Which registry a server process is.</summary>
internal enum Registry
{
    Berth,
    Distribution,

    /// <summary>Another build of Berth (<c>--baseline-dll</c>): the figures the current one must not regress from.</summary>
    BerthBaseline,

    /// <summary>Berth with its metadata in PostgreSQL (compared with <see cref="Berth"/> on SQLite).</summary>
    BerthPostgres,

    /// <summary>Three Berth nodes behind nginx (compared with one node behind nginx, <see cref="Berth"/>).</summary>
    BerthThreeNodes,

    /// <summary>Berth with its blobs on S3 (s3rver), compared with <see cref="Berth"/> on the filesystem.</summary>
    BerthS3,
}

/// <summary>
/// One registry as a child process on a loopback port, with what /proc says about it: CPU seconds used and
/// peak resident set size (VmHWM, reset per phase through <c>/proc/PID/clear_refs</c>).
/// </summary>
internal sealed class Server : IAsyncDisposable
{
    private static readonly double TicksPerSecond = ReadClockTicks();
    private readonly Process _process;
    private readonly StreamWriter _log;
    private long _runPeakKiB;
    private bool _clearRefsWorks = true;

    private readonly IReadOnlyList<Server> _members;

    private Server(Registry registry, int port, Process process, StreamWriter log, string dataDir, (string User, string Password)? credentials, IReadOnlyList<Server>? members = null)
    {
        _members = members ?? [];
        Registry = registry;
        Port = port;
        _process = process;
        _log = log;
        DataDir = dataDir;
        Credentials = credentials;
    }

    public Registry Registry { get; }

    public int Port { get; }

    public string DataDir { get; }

    public (string User, string Password)? Credentials { get; }

    public string HostPort => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"http://{HostPort}");

    public string Name => Registry switch
    {
        Registry.Berth => "Berth",
        Registry.BerthBaseline => "Berth (baseline)",
        Registry.BerthPostgres => "Berth (PostgreSQL)",
        Registry.BerthThreeNodes => "Berth ×3",
        Registry.BerthS3 => "Berth (S3)",
        _ => "Distribution",
    };

    /// <summary>For a load balancer: the nodes behind it, whose CPU and memory are the figures (not the balancer's).</summary>
    public IReadOnlyList<Server> Members => _members;

    /// <summary>Peak RSS over the life of this process, in bytes (the maximum of every phase's peak).</summary>
    public long RunPeakRssBytes => _members.Count > 0 ? _members.Sum(m => m.RunPeakRssBytes) : Math.Max(_runPeakKiB, ReadStatusKiB("VmHWM:")) * 1024;

    /// <summary>
    /// Berth; with <paramref name="sharedDataDir"/>, a second node over another's database and storage;
    /// <paramref name="extraArgs"/> picks another database or storage (<c>--database postgres …</c>, <c>--storage s3 …</c>).
    /// </summary>
    public static async Task<Server> StartBerthAsync(string serverDll, string workDir, (string User, string Password, string File)? htpasswd, string? sharedDataDir = null, Registry registry = Registry.Berth, IReadOnlyList<string>? extraArgs = null)
    {
        var port = FreePort();
        var dataDir = sharedDataDir ?? Path.Combine(workDir, "data");
        Directory.CreateDirectory(workDir);
        Directory.CreateDirectory(dataDir);
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir };
        foreach (var arg in new[] { serverDll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir })
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--auth");
        if (htpasswd is { } h)
        {
            info.ArgumentList.Add("htpasswd");
            info.ArgumentList.Add("--htpasswd");
            info.ArgumentList.Add(h.File);
        }
        else
        {
            info.ArgumentList.Add("none");
        }

        foreach (var arg in extraArgs ?? [])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return await StartAsync(registry, info, port, workDir, dataDir, htpasswd is { } c ? (c.User, c.Password) : null);
    }

    /// <summary>
    /// Berth as the all-in-one server with token auth and its real bcrypt cost; <paramref name="admin"/> is the admin
    /// account. Pushed repositories are public, so the web UI shows them to an anonymous visitor.
    /// </summary>
    public static async Task<Server> StartBerthTokenAsync(string serverDll, string workDir, (string User, string Password) admin)
    {
        var port = FreePort();
        var dataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir };
        foreach (var arg in new[] { serverDll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir, "--auth", "token", "--admin-password", admin.Password, "--token-rate-limit", "0", "--default-visibility", "public" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return await StartAsync(Registry.Berth, info, port, workDir, dataDir, admin);
    }

    /// <summary>
    /// Distribution; with <paramref name="sharedDataDir"/>, a second process over another's root directory. Its upload
    /// state travels in a <c>_state</c> parameter signed with <c>http.secret</c>, so processes sharing uploads need one
    /// <paramref name="secret"/> (without it, each process signs with a random one of its own). <paramref name="storage"/>
    /// replaces the filesystem driver's lines under <c>storage:</c> (indented two spaces), e.g. with its s3 driver. With
    /// <paramref name="proxy"/> (an upstream's URL) it is a pull-through cache of that registry.
    /// </summary>
    public static async Task<Server> StartDistributionAsync(string workDir, (string User, string Password, string File)? htpasswd, string? sharedDataDir = null, string? secret = null, string? storage = null, string? proxy = null)
    {
        var port = FreePort();
        var dataDir = sharedDataDir ?? Path.Combine(workDir, "data");
        Directory.CreateDirectory(workDir);
        Directory.CreateDirectory(dataDir);
        var config = Path.Combine(workDir, "config.yml");
        // Debian's default configuration (in-memory blob descriptor cache, delete enabled), without access log,
        // on loopback, with its filesystem driver: the settings a user of the package gets.
        var auth = htpasswd is { } h ? $"auth:\n  htpasswd:\n    realm: bench\n    path: {h.File}\n" : "";
        var httpSecret = secret is null ? "" : $"\n  secret: {secret}";
        var driver = storage ?? $"  filesystem:\n    rootdirectory: {dataDir}";
        var proxySection = proxy is null ? "" : $"proxy:\n  remoteurl: {proxy}\n";
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              cache:
                blobdescriptor: inmemory
            {driver}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}{httpSecret}
            {auth}
            {proxySection}
            """);
        var info = new ProcessStartInfo("docker-registry") { WorkingDirectory = workDir };
        // With AWS_CA_BUNDLE set (as in some sandboxes), 2.8.2's s3 driver panics at start ("LoadCustomCABundleError:
        // unable to load custom CA bundle, HTTPClient's transport unsupported type"); the endpoints here are plain HTTP.
        info.Environment.Remove("AWS_CA_BUNDLE");
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        return await StartAsync(Registry.Distribution, info, port, workDir, dataDir, htpasswd is { } c ? (c.User, c.Password) : null);
    }

    /// <summary>
    /// nginx (Debian's, as a non-daemon child with its own configuration) in front of <paramref name="nodes"/>: round
    /// robin, no stickiness, no body size limit, no request or response buffering, HTTP/1.1 to the nodes.
    /// </summary>
    public static async Task<Server> StartNginxAsync(string workDir, IReadOnlyList<Server> nodes, Registry registry)
    {
        var port = FreePort();
        Directory.CreateDirectory(workDir);
        var config = Path.Combine(workDir, "nginx.conf");
        var servers = string.Join("\n", nodes.Select(n => $"    server {n.HostPort};"));
        // Root starts nginx here: its workers then stay root too, so they can use the temporary paths in workDir.
        var user = Environment.UserName == "root" ? "user root;\n" : "";
        await File.WriteAllTextAsync(config, $$"""
            {{user}}daemon off;
            worker_processes 2;
            pid {{workDir}}/nginx.pid;
            error_log {{workDir}}/error.log warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path {{workDir}}/client_body;
              proxy_temp_path {{workDir}}/proxy;
              fastcgi_temp_path {{workDir}}/fastcgi;
              uwsgi_temp_path {{workDir}}/uwsgi;
              scgi_temp_path {{workDir}}/scgi;
              upstream berth {
            {{servers}}
                keepalive 64;
              }
              server {
                listen 127.0.0.1:{{port}};
                client_max_body_size 0;
                proxy_request_buffering off;
                proxy_buffering off;
                proxy_http_version 1.1;
                proxy_read_timeout 900s;
                proxy_send_timeout 900s;
                location / {
                  proxy_pass http://berth;
                  proxy_set_header Host $http_host;
                  proxy_set_header Connection "";
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                  proxy_set_header X-Forwarded-Proto $scheme;
                }
              }
            }
            """);
        var info = new ProcessStartInfo("nginx") { WorkingDirectory = workDir };
        foreach (var arg in new[] { "-p", workDir, "-c", config, "-e", Path.Combine(workDir, "error.log") })
        {
            info.ArgumentList.Add(arg);
        }

        return await StartAsync(registry, info, port, workDir, workDir, null, nodes);
    }

    /// <summary>CPU seconds (user + system) of a load balancer's worker processes (children of its master) so far.</summary>
    public double ProxyCpuSeconds()
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (pid == _process.Id || fields[1] == _process.Id.ToString(CultureInfo.InvariantCulture))
                {
                    total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                }
            }
            catch (IOException)
            {
                // The process ended between the listing and the read.
            }
        }

        return total;
    }

    /// <summary>CPU seconds (user + system, all threads) the server has used so far; for a load balancer, its nodes'.</summary>
    public double CpuSeconds()
    {
        if (_members.Count > 0)
        {
            return _members.Sum(m => m.CpuSeconds());
        }

        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // The command name (field 2) may contain spaces; fields after it are fixed.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>Starts a new peak-RSS window.</summary>
    public void ResetPeak()
    {
        foreach (var member in _members)
        {
            member.ResetPeak();
        }

        _runPeakKiB = Math.Max(_runPeakKiB, ReadStatusKiB("VmHWM:"));
        if (!_clearRefsWorks)
        {
            return;
        }

        try
        {
            File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: cannot reset peak RSS ({e.Message}); phase peaks are peaks since start");
            _clearRefsWorks = false;
        }
    }

    /// <summary>Peak RSS since the last <see cref="ResetPeak"/>, in bytes.</summary>
    public long PhasePeakRssBytes()
    {
        if (_members.Count > 0)
        {
            return _members.Sum(m => m.PhasePeakRssBytes());
        }

        var kib = ReadStatusKiB("VmHWM:");
        _runPeakKiB = Math.Max(_runPeakKiB, kib);
        return kib * 1024;
    }

    /// <summary>Resident set size now (VmRSS), in bytes.</summary>
    public long RssBytes() => _members.Count > 0 ? _members.Sum(m => m.RssBytes()) : ReadStatusKiB("VmRSS:") * 1024;

    public bool HasExited => _process.HasExited || _members.Any(m => m.HasExited);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static async Task<Server> StartAsync(Registry registry, ProcessStartInfo info, int port, string workDir, string dataDir, (string, string)? credentials, IReadOnlyList<Server>? members = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var log = new StreamWriter(Path.Combine(workDir, "server.log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        void Write(string? line)
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

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Server(registry, port, process, log, dataDir, credentials, members);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{registry} exited during start-up; see {workDir}/server.log");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(server.BaseUri, "/v2/"));
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"{registry} did not answer /v2/ within 90 s; see {workDir}/server.log");
    }

    private long ReadStatusKiB(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static double ReadClockTicks()
    {
        try
        {
            var psi = new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            return double.TryParse(text, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
