using System.Diagnostics;

namespace Berth.Testing;

/// <summary>
/// A PostgreSQL cluster of a test's (or fixture's) own, so it may stop and start it (test.sh's shared cluster serves every
/// other test meanwhile). It listens on a unix socket in its directory only. PostgreSQL refuses to run as root: as
/// root, it runs as the <c>postgres</c> user, which owns its directory.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _bin;

    private PrivatePostgres(string dir, string bin)
    {
        _dir = dir;
        _bin = bin;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private string DataDir => Path.Combine(_dir, "data");

    public string ConnectionString(string database) => $"Host={_dir};Username=postgres;Database={database}";

    public static async Task<PrivatePostgres> CreateAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .LastOrDefault() ?? throw new InvalidOperationException("no PostgreSQL server under /usr/lib/postgresql (Debian package postgresql)");

        // Short: the socket path (DIR/.s.PGSQL.5432) must fit in 107 bytes.
        var dir = Path.Combine(Path.GetTempPath(), "berth-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var cluster = new PrivatePostgres(dir, bin);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:", dir], asPostgres: false);
        }

        await cluster.RunPgAsync("initdb", ["-D", cluster.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]);
        await cluster.StartAsync();
        return cluster;
    }

    public Task StartAsync() => RunPgAsync("pg_ctl", [
        "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
        "-o", $"-c listen_addresses='' -c unix_socket_directories='{_dir}' -c fsync=off -c max_connections=400", "start"]);

    /// <summary>A fast shutdown: open connections are terminated, as a restarting server does.</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", ["-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunPgAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "-t", "60", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private Task RunPgAsync(string tool, IReadOnlyList<string> args) => RunAsync(Path.Combine(_bin, tool), args, IsRoot);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres)
    {
        var info = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}
