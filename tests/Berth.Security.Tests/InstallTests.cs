using System.Diagnostics;
using System.Net;
using System.Reflection;
using Berth.Testing;
using Xunit.Abstractions;

namespace Berth.Security.Tests;

/// <summary>
/// One <c>./install.sh --prefix TEMP --no-ready-to-run</c> of this checkout for the class: it publishes both programs,
/// which takes most of this class's time, so it is done once. Without ReadyToRun: precompiling every assembly doubled
/// the class's time (154 s in a full run) and the suite must stay within CI's 30 minutes; the script's other steps are
/// the same, and the default (ReadyToRun) install is tried by hand on a fresh clone before an issue about it is closed.
/// </summary>
public sealed class InstallFixture : IAsyncLifetime
{
    public string Prefix { get; } = Directory.CreateTempSubdirectory("berth-install-").FullName;

    public string Bin => Path.Combine(Prefix, "bin");

    public string Output { get; private set; } = "";

    public TimeSpan Duration { get; private set; }

    public async Task InitializeAsync()
    {
        var dll = typeof(RegistryServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthServerDll").Value!;
        var root = new DirectoryInfo(Path.GetDirectoryName(dll)!);
        while (!File.Exists(Path.Combine(root.FullName, "install.sh")))
        {
            root = root.Parent ?? throw new InvalidOperationException($"no install.sh above {dll}");
        }

        // A PATH without the prefix: install.sh must say how to add it.
        var result = await Cli.RunAsync("bash", [Path.Combine(root.FullName, "install.sh"), "--prefix", Prefix, "--no-ready-to-run"], TimeSpan.FromMinutes(10),
            new Dictionary<string, string?> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin" });
        Output = result.Stdout + result.Stderr;
        Duration = result.Elapsed;
        result.EnsureSuccess();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Prefix, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Issue 14: the README named a <c>berth-server</c> command that did not exist, and <c>berth</c> could only be run
/// through <c>dotnet run</c>. <c>install.sh</c> puts both on the PATH; the installed server starts where it is typed,
/// with its data directory relative to there.
/// </summary>
public sealed class InstallTests(InstallFixture install, ITestOutputHelper output) : IClassFixture<InstallFixture>
{
    [Fact]
    public async Task Both_installed_commands_print_their_version_and_the_install_says_where_they_are()
    {
        output.WriteLine($"install.sh took {install.Duration.TotalSeconds:0} s");
        var server = await Cli.RunAsync(Path.Combine(install.Bin, "berth-server"), ["--version"]);
        Assert.Equal(0, server.ExitCode);
        Assert.Matches(@"^berth-server \d+\.\d+\.\d+\S*\n$", server.Stdout);

        var client = await Cli.RunAsync(Path.Combine(install.Bin, "berth"), ["--version"]);
        Assert.Equal(0, client.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", client.Stdout);

        Assert.Contains($"is not on your PATH", install.Output, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(install.Bin, "berth-server")).LinkTarget is not null, "berth-server is a link into the installed folder");
    }

    [Fact]
    public async Task The_installed_server_starts_with_a_relative_data_dir_under_the_working_directory_and_answers_v2()
    {
        var work = Directory.CreateTempSubdirectory("berth-installed-run-");
        var port = RegistryServer.FreeLoopbackPort();
        var info = new ProcessStartInfo(Path.Combine(install.Bin, "berth-server"))
        {
            WorkingDirectory = work.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["HOME"] = work.FullName;
        foreach (var arg in new[] { "--urls", $"http://127.0.0.1:{port}", "--data-dir", "data", "--admin-password", "installed-admin-pw" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var status = await FirstAnswerAsync(http, new Uri($"http://127.0.0.1:{port}/v2/"), process, TimeSpan.FromSeconds(60));
            Assert.True(status == HttpStatusCode.Unauthorized, $"/v2/ answered {status}");
            Assert.True(File.Exists(Path.Combine(work.FullName, "data", "berth.db")), "the relative --data-dir is under the working directory");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            output.WriteLine(await stdout + await stderr);
            work.Delete(recursive: true);
        }
    }

    /// <summary>Polls until the server answers (or exits, or the deadline passes: null).</summary>
    private static async Task<HttpStatusCode?> FirstAnswerAsync(HttpClient http, Uri uri, Process process, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(uri);
                return response.StatusCode;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        return null;
    }
}
