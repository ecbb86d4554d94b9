using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Berth.Cluster.Tests.Support;

/// <summary>
/// nginx as a foreground child process on a free loopback port, round robin over <c>upstreams</c>, configured from
/// the template deploy/cluster/run.sh uses (deploy/cluster/nginx.conf.template), so the tests check that config.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _workDir;

    private Nginx(Process process, string workDir, int port)
    {
        _process = process;
        _workDir = workDir;
        Port = port;
    }

    public int Port { get; }

    public string HostPort => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"http://{HostPort}/");

    public string ErrorLog => File.Exists(Path.Combine(_workDir, "error.log")) ? File.ReadAllText(Path.Combine(_workDir, "error.log")) : "";

    public static async Task<Nginx> StartAsync(IEnumerable<string> upstreams, CancellationToken cancellationToken = default)
    {
        var workDir = Path.Combine(Path.GetTempPath(), "berth-tests", "nginx-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(workDir, "tmp"));
        var port = RegistryServer.FreeLoopbackPort();
        var config = Path.Combine(workDir, "nginx.conf");
        await File.WriteAllTextAsync(config, Render(File.ReadAllText(TemplatePath()), workDir, port, upstreams), cancellationToken);

        var info = new ProcessStartInfo("nginx")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-p", workDir, "-c", config })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start nginx");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var nginx = new Nginx(process, workDir, port);

        // Ready once /v2/ answers through it (200 or 401 from a node); bounded.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                await nginx.DisposeAsync();
                lock (output)
                {
                    throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {output}");
                }
            }

            try
            {
                using var response = await http.GetAsync(new Uri(nginx.BaseUri, "v2/"), cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return nginx;
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
                await nginx.DisposeAsync();
                throw new TimeoutException("nginx did not answer /v2/ within 30 s");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The template with its placeholders filled (the same substitution as run.sh's).</summary>
    public static string Render(string template, string workDir, int port, IEnumerable<string> upstreams) =>
        template
            .Replace("@USER@", Environment.UserName == "root" ? "user root;" : "", StringComparison.Ordinal)
            .Replace("@WORK@", workDir, StringComparison.Ordinal)
            .Replace("@PORT@", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@UPSTREAMS@", string.Join('\n', upstreams.Select(u => $"        server {u};")), StringComparison.Ordinal);

    public static string TemplatePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var template = Path.Combine(dir.FullName, "deploy", "cluster", "nginx.conf.template");
            if (File.Exists(template))
            {
                return template;
            }
        }

        throw new FileNotFoundException("deploy/cluster/nginx.conf.template not found above " + AppContext.BaseDirectory);
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
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
