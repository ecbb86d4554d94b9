using System.Diagnostics;

namespace Berth.Testing;

/// <summary>
/// containerd (<c>/usr/bin/containerd</c>) as a child process with a root, state directory, configuration and unix
/// socket of its own under a temp directory, for <c>ctr</c> to pull through a registry as a Kubernetes node does. Only
/// the content store is used (no snapshotters beyond the defaults, no CRI, no containers), which as root needs nothing
/// from the machine. Killed and removed on dispose.
/// </summary>
public sealed class Containerd : IAsyncDisposable
{
    public const string Binary = "/usr/bin/containerd";

    private readonly Process _process;
    private readonly StreamWriter _log;

    private Containerd(string root, Process process, StreamWriter log)
    {
        Root = root;
        _process = process;
        _log = log;
    }

    /// <summary>Why containerd cannot run here at all (then tests that need it are skipped), or null.</summary>
    public static string? Unavailable =>
        !File.Exists(Binary) ? $"{Binary} is not installed"
        : !File.Exists("/usr/bin/ctr") ? "/usr/bin/ctr is not installed"
        : Environment.UserName != "root" ? "containerd needs root (it runs as the user here, not in a rootless namespace)"
        : null;

    public string Root { get; }

    public string Socket => Path.Combine(Root, "c.sock");

    /// <summary>The containerd namespace every <see cref="CtrAsync"/> call uses.</summary>
    public string Namespace { get; } = "test";

    public string LogFile => Path.Combine(Root, "containerd.log");

    /// <summary>Starts containerd and waits (at most 30 s) until <c>ctr version</c> reaches it.</summary>
    public static async Task<Containerd> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Unavailable is { } why)
        {
            throw new InvalidOperationException($"containerd cannot run here: {why}");
        }

        // Short: a unix socket path must stay under 108 bytes.
        var root = Path.Combine("/tmp", $"bctrd-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(root);
        var config = Path.Combine(root, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{root}/root"
            state = "{root}/state"
            # Nothing but the content store and metadata is needed; these plugins want kernel features or a CNI setup.
            disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.opt"]
            [grpc]
              address = "{root}/c.sock"
            [ttrpc]
              address = "{root}/c.sock.ttrpc"
            [debug]
              address = ""
            [metrics]
              address = ""
            """);
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        var log = new StreamWriter(Path.Combine(root, "containerd.log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var containerd = new Containerd(root, process, log);
        try
        {
            await containerd.WaitUntilReadyAsync(cancellationToken);
            return containerd;
        }
        catch
        {
            await containerd.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>ctr -a SOCKET -n test ARGS</c>.</summary>
    public Task<CliResult> CtrAsync(params string[] args) =>
        Cli.RunAsync("ctr", ["-a", Socket, "-n", Namespace, .. args], TimeSpan.FromSeconds(120));

    /// <summary>
    /// A fresh <c>--hosts-dir</c> whose <c>hosts.toml</c> for <paramref name="registryHost"/> sends pulls and resolves to
    /// <paramref name="mirrorHostPort"/> over plain HTTP, as a node's mirror configuration does: containerd then asks the
    /// mirror with <c>?ns=<paramref name="registryHost"/></c>. <paramref name="server"/> is where it falls back to when
    /// the mirror fails (default: nowhere that answers, so a pull proves the mirror served it).
    /// </summary>
    public string HostsDir(string registryHost, string mirrorHostPort, string server = "http://127.0.0.1:9")
    {
        var dir = Path.Combine(Root, $"hosts-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path.Combine(dir, registryHost));
        File.WriteAllText(Path.Combine(dir, registryHost, "hosts.toml"), $"""
            server = "{server}"

            [host."http://{mirrorHostPort}"]
              capabilities = ["pull", "resolve"]
            """);
        return dir;
    }

    /// <summary><c>ctr content fetch</c> of <paramref name="reference"/> (all platforms) through <paramref name="hostsDir"/>.</summary>
    public Task<CliResult> FetchAsync(string reference, string hostsDir, params string[] options) =>
        CtrAsync(["content", "fetch", "--hosts-dir", hostsDir, "--all-platforms", .. options, reference]);

    /// <summary>The digests in the content store.</summary>
    public async Task<IReadOnlySet<string>> ContentDigestsAsync()
    {
        var listed = (await CtrAsync("content", "ls", "--quiet")).EnsureSuccess();
        return listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a test on clean-up.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException($"containerd exited during start-up with {_process.ExitCode}:\n{ReadLog()}");
            }

            if (File.Exists(Socket) && (await Cli.RunAsync("ctr", ["-a", Socket, "version"], TimeSpan.FromSeconds(5), cancellationToken: cancellationToken)).Succeeded)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"containerd did not answer on {Socket} within 30 s:\n{ReadLog()}");
    }

    private static void Write(StreamWriter log, string? line)
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
}
