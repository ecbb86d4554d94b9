using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Berth.Bench;

/// <summary>
/// s3rver (npm, an S3 emulator; bench/run.sh installs it under bench/.work/npm) as a child process on a loopback port,
/// over a scratch directory, with one bucket per registry so neither sees the other's objects.
/// </summary>
internal sealed class S3rver : IAsyncDisposable
{
    /// <summary>s3rver's built-in account.</summary>
    public const string Key = "S3RVER";

    public const string Region = "us-east-1";

    private readonly Process _process;

    private S3rver(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>berth-server's options for <paramref name="bucket"/> (streamed GETs: no <c>--s3-redirect</c>).</summary>
    public IReadOnlyList<string> BerthArgs(string bucket) =>
        ["--storage", "s3", "--s3-endpoint", Endpoint.ToString(), "--s3-bucket", bucket, "--s3-region", Region, "--s3-access-key", Key, "--s3-secret-key", Key, "--s3-path-style"];

    /// <summary>
    /// Distribution 2.8.2's <c>s3</c> driver over <paramref name="bucket"/>. 2.8.2 has no <c>forcepathstyle</c>: a
    /// <c>regionendpoint</c> makes it use path-style URLs. Redirects to presigned URLs are off, as Berth's are, so
    /// blob bytes pass through both registries.
    /// </summary>
    public string DistributionStorage(string bucket) => $"""
          s3:
            accesskey: {Key}
            secretkey: {Key}
            region: {Region}
            regionendpoint: {Endpoint.ToString().TrimEnd('/')}
            bucket: {bucket}
            secure: false
            v4auth: true
            rootdirectory: /
          redirect:
            disable: true
        """;

    public static async Task<S3rver> StartAsync(string script, string directory, IReadOnlyList<string> buckets, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var port = FreePort();
        var info = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--silent" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var bucket in buckets)
        {
            info.ArgumentList.Add("--configure-bucket");
            info.ArgumentList.Add(bucket);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node for s3rver");
        var log = new StreamWriter(Path.Combine(directory, "..", "s3rver.log"), append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3rver(process, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited with {process.ExitCode}; see {directory}/../s3rver.log");
            }

            try
            {
                // Unauthenticated: 403 from a running s3rver is as good as 200.
                using var response = await http.GetAsync(new Uri(server.Endpoint, buckets[0]), ct);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            await Task.Delay(100, ct);
        }

        await server.DisposeAsync();
        throw new TimeoutException("s3rver did not answer within 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
