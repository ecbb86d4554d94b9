using System.Net;
using System.Net.Sockets;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// berth-server's command line (issue 14): a typo or a stray argument is refused with exit 2 before anything is
/// created, where it used to start a server on defaults with a new admin account in whatever directory it was in; a
/// taken port, an unusable data directory and an unusable database each fail with one line and their own exit code.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("berth-cmdline-");

    [Theory]
    [InlineData("unknown option '--bogus-flag'", "--bogus-flag")]
    [InlineData("unknown option '--data-dri'", "--data-dri", "elsewhere")]
    [InlineData("unexpected argument 'serve'", "serve")]
    [InlineData("option '--data-dir' needs a value", "--auth", "none", "--data-dir")]
    public async Task A_bad_command_line_exits_2_listing_the_options_and_creates_nothing(string error, params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"berth-server: {error}", result.StderrLines[0]);
        Assert.Contains("--data-dir", result.StderrLines[1]);
        Assert.Equal(2, result.StderrLines.Length);
        Assert.Empty(_work.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var result = await RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^berth-server \d+\.\d+\.\d+", result.Stdout.Trim());
        Assert.Empty(_work.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task Configuration_keys_and_name_equals_value_are_accepted()
    {
        using var taken = Listen(out var port);
        var result = await RunAsync("--urls=http://127.0.0.1:" + port, "--Logging:LogLevel:Default", "Warning", "--auth", "none");

        // Past the parser, it stops at the taken port: proof the options were read, not refused.
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task A_port_in_use_exits_3_with_one_line_before_creating_anything()
    {
        using var taken = Listen(out var port);
        var result = await RunAsync("--urls", $"http://127.0.0.1:{port}", "--data-dir", "data");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal([$"berth-server: cannot listen on http://127.0.0.1:{port}: the address is already in use (choose another with --urls)"], result.StderrLines);
        Assert.Equal("", result.Stdout);
        Assert.Empty(_work.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task An_unusable_data_directory_exits_4_naming_it()
    {
        File.WriteAllText(Path.Combine(_work.FullName, "a-file"), "");
        var result = await RunAsync("--urls", $"http://127.0.0.1:{RegistryServer.FreeLoopbackPort()}", "--data-dir", "a-file/data");

        Assert.Equal(4, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"berth-server: cannot use the data directory {Path.Combine(_work.FullName, "a-file", "data")}: ", line);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=berth;Database=berth;Timeout=5", "Failed to connect to 127.0.0.1:1")]
    [InlineData("Host=127.0.0.1;;Database", "the connection string is malformed")]
    public async Task An_unusable_database_exits_5_with_the_reason(string connectionString, string reason)
    {
        var result = await RunAsync(
            "--urls", $"http://127.0.0.1:{RegistryServer.FreeLoopbackPort()}", "--data-dir", "data", "--database", "postgres", "--connection-string", connectionString);

        Assert.Equal(5, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("berth-server: cannot open the postgres database: ", line);
        Assert.Contains(reason, line);
    }

    private static TcpListener Listen(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private async Task<Result> RunAsync(params string[] args)
    {
        var run = await ServerCommand.RunAsync(args, _work.FullName, environment: new Dictionary<string, string?> { ["HOME"] = _work.FullName });
        return new Result(run.ExitCode, run.Stdout, run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public void Dispose() => _work.Delete(recursive: true);

    private sealed record Result(int ExitCode, string Stdout, string[] StderrLines);
}
