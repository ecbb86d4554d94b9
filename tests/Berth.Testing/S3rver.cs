using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Testing;

/// <summary>
/// A real s3rver (npm <c>s3rver</c>, an S3 emulator) as a child process on a free loopback port, over a temporary
/// directory, with one bucket. test.sh installs it under <c>.test-work/npm</c>; <c>BERTH_S3RVER</c> may name another
/// copy (its <c>bin/s3rver.js</c> or the <c>.bin/s3rver</c> link). Missing s3rver fails the test, it never skips.
/// </summary>
public sealed class S3rver : IAsyncDisposable
{
    /// <summary>s3rver's built-in account.</summary>
    public const string AccessKey = "S3RVER";

    public const string SecretKey = "S3RVER";

    public const string Region = "us-east-1";

    private readonly string _directory;
    private Process _process;

    private S3rver(Process process, string directory, int port, string bucket)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Bucket = bucket;
    }

    public int Port { get; }

    public string Bucket { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>Where s3rver keeps the bucket's files (to look behind the API).</summary>
    public string DataDirectory => _directory;

    /// <summary>The berth-server options that put its storage in this bucket.</summary>
    public IReadOnlyList<string> ServerArgs(bool redirect = false)
    {
        List<string> args =
        [
            "--storage", "s3",
            "--s3-endpoint", Endpoint.ToString(),
            "--s3-bucket", Bucket,
            "--s3-region", Region,
            "--s3-access-key", AccessKey,
            "--s3-secret-key", SecretKey,
            "--s3-path-style",
        ];
        if (redirect)
        {
            args.Add("--s3-redirect");
        }

        return args;
    }

    public static async Task<S3rver> StartAsync(string bucket = "berth", CancellationToken cancellationToken = default)
    {
        var directory = Path.Combine(Path.GetTempPath(), "berth-tests", "s3rver-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            return await LaunchAsync(directory, FreeLoopbackPort(), bucket, cancellationToken);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Kills the emulator (an outage); its files stay for <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the emulator again on the same port and files, after <see cref="StopAsync"/>.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        var again = await LaunchAsync(_directory, Port, Bucket, cancellationToken);
        _process.Dispose();
        _process = again._process;
    }

    private static async Task<S3rver> LaunchAsync(string directory, int port, string bucket, CancellationToken cancellationToken)
    {
        var script = FindScript();
        var info = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", bucket })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node for s3rver");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3rver(process, directory, port, bucket);

        // Ready once the bucket answers (s3rver creates it at start); bounded by a deadline.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                await server.StopAsync();
                lock (output)
                {
                    throw new InvalidOperationException($"s3rver exited with {process.ExitCode}: {output}");
                }
            }

            try
            {
                // Unauthenticated: 403 from a running s3rver is as good as 200.
                using var response = await http.GetAsync(new Uri(server.Endpoint, bucket), cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await server.StopAsync();
                throw new TimeoutException("s3rver did not answer within 30 s");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>s3rver's entry script: <c>BERTH_S3RVER</c>, else the copy test.sh installs in the repository.</summary>
    private static string FindScript()
    {
        if (Environment.GetEnvironmentVariable("BERTH_S3RVER") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : throw new FileNotFoundException($"BERTH_S3RVER names '{configured}', which does not exist");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            {
                var script = Path.Combine(dir.FullName, ".test-work", "npm", "node_modules", "s3rver", "bin", "s3rver.js");
                return File.Exists(script)
                    ? script
                    : throw new FileNotFoundException($"s3rver is not installed at {script}: run test.sh, or `npm install --prefix .test-work/npm s3rver@3.7.1`, or set BERTH_S3RVER");
            }
        }

        throw new FileNotFoundException("s3rver not found: set BERTH_S3RVER to its bin/s3rver.js");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
