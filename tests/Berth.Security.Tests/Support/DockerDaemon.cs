using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;

namespace Berth.Security.Tests.Support;

/// <summary>
/// A private Docker engine (Debian's <c>docker.io</c>) for the tests: its own data and exec roots and unix socket
/// under a temporary directory, vfs storage, no iptables, no bridge, no other network, and loopback registries
/// trusted over plain HTTP. The CLI is pointed at it with <c>DOCKER_HOST</c> and a private <c>DOCKER_CONFIG</c>.
/// If the engine does not start, every test that uses it fails with the daemon's log: Docker is required.
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    /// <summary>Debian's binaries, not whatever else is first on PATH: the tests pin the client users have.</summary>
    public const string DockerCli = "/usr/bin/docker";

    private const string Dockerd = "/usr/sbin/dockerd";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private Process? _daemon;

    /// <summary>Short, because a unix socket path must stay under 108 bytes.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("bd-").FullName;

    public string Socket => Path.Combine(Root, "docker.sock");

    public string LogFile => Path.Combine(Root, "dockerd.log");

    public async Task InitializeAsync()
    {
        var daemonConfig = Path.Combine(Root, "daemon.json");
        await File.WriteAllTextAsync(daemonConfig, "{}");
        var info = new ProcessStartInfo(Dockerd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "--config-file", daemonConfig,
            "--data-root", Path.Combine(Root, "data"),
            "--exec-root", Path.Combine(Root, "exec"),
            "--pidfile", Path.Combine(Root, "dockerd.pid"),
            "--host", "unix://" + Socket,
            "--storage-driver", "vfs",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--bridge=none",
            "--insecure-registry", "127.0.0.0/8",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{Dockerd} cannot be started ({e.Message}); test.sh installs Debian's docker.io", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemon = process;

        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"dockerd exited with {process.ExitCode} during start-up:\n{ReadLog()}");
            }

            var version = await RunAsync(Environment(null), ["version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(10));
            if (version.Succeeded)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"dockerd did not answer within {StartTimeout.TotalSeconds} s:\n{version}\n{ReadLog()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>A client with its own config directory (its own logins), talking to this engine.</summary>
    public DockerClient NewClient()
    {
        var config = Directory.CreateDirectory(Path.Combine(Root, $"config-{Guid.NewGuid():N}"[..15])).FullName;
        return new DockerClient(this, config);
    }

    internal IReadOnlyDictionary<string, string?> Environment(string? configDir) => new Dictionary<string, string?>
    {
        ["DOCKER_HOST"] = "unix://" + Socket,
        ["DOCKER_CONFIG"] = configDir ?? Path.Combine(Root, "config-default"),
        ["DOCKER_CLI_EXPERIMENTAL"] = "enabled",
        ["DOCKER_BUILDKIT"] = "0",
        ["HOME"] = Root,
    };

    internal static Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, IEnumerable<string> args, TimeSpan? timeout = null) =>
        Cli.RunAsync(DockerCli, args, timeout ?? TimeSpan.FromSeconds(180), environment);

    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var text = new StreamReader(stream).ReadToEnd();
            return text.Length <= 6000 ? text : text[^6000..];
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is { } daemon)
        {
            if (!daemon.HasExited)
            {
                // SIGTERM lets dockerd stop the containerd it started; SIGKILL only if it does not within the deadline.
                await Cli.RunAsync("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
                using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await daemon.WaitForExitAsync(stopped.Token);
                }
                catch (OperationCanceledException)
                {
                    daemon.Kill(entireProcessTree: true);
                    await daemon.WaitForExitAsync();
                }
            }

            daemon.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftover vfs layers in a temp directory are harmless; never fail a test on clean-up.
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}

/// <summary>The docker CLI with one config directory, i.e. one user's logins.</summary>
public sealed class DockerClient(DockerDaemon daemon, string configDir)
{
    public string ConfigDir => configDir;

    public Task<CliResult> RunAsync(params string[] args) => DockerDaemon.RunAsync(daemon.Environment(configDir), args);

    /// <summary><c>docker login</c> with the secret on standard input, as scripts do.</summary>
    public Task<CliResult> LoginAsync(string host, string user, string secret) =>
        Cli.RunAsync(
            "sh",
            ["-c", "printf '%s' \"$1\" | exec \"$0\" login --username \"$2\" --password-stdin \"$3\"", DockerDaemon.DockerCli, secret, user, host],
            TimeSpan.FromSeconds(60),
            daemon.Environment(configDir));

    /// <summary>
    /// Imports a one-layer image of a few small files (unique per call, so its layer is new to the registry) as
    /// <paramref name="name"/>. Nothing can be downloaded here: this is how the tests get an image at all.
    /// </summary>
    public async Task ImportImageAsync(string name)
    {
        var tarball = Path.Combine(configDir, $"rootfs-{Guid.NewGuid():N}.tar");
        await using (var file = File.Create(tarball))
        await using (var tar = new TarWriter(file, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0x1ED });
            foreach (var (path, text) in new[] { ("etc/berth-test", Guid.NewGuid().ToString()), ("hello.txt", "hello from berth\n") })
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = (UnixFileMode)0x1A4,
                    DataStream = new MemoryStream(bytes),
                });
            }
        }

        (await RunAsync("import", "--change", "CMD [\"/hello.txt\"]", tarball, name)).EnsureSuccess();
        File.Delete(tarball);
    }
}
