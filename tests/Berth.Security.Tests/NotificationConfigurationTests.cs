namespace Berth.Security.Tests;

/// <summary>
/// Issue 12, point 6: a notification endpoint that cannot work is refused at start-up with exit 2 and one line
/// naming it, before the server listens, rather than failing every delivery later.
/// </summary>
public sealed class NotificationConfigurationTests : IDisposable
{
    private const string Endpoint0 = "--Berth:Notifications:Endpoints:0";

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("berth-notify-config-");

    [Theory]
    [InlineData("option '--notify-endpoint' needs NAME=URL", "--notify-endpoint", "http://hooks.example.com/")]
    [InlineData("option '--notify-endpoint': 'ftp://hooks.example.com/x' is not an absolute http(s) URL", "--notify-endpoint", "hook=ftp://hooks.example.com/x")]
    [InlineData("notification endpoint 'hook': 'hooks.example.com' is not an absolute http(s) URL", Endpoint0 + ":Name", "hook", Endpoint0 + ":Url", "hooks.example.com")]
    [InlineData("notification endpoint 'a' is configured twice", "--notify-endpoint", "a=http://127.0.0.1:9/", "--notify-endpoint=a=http://127.0.0.1:9/b")]
    [InlineData("notification endpoint 'hook': unknown action 'pushed'", "--notify-endpoint", "hook=http://127.0.0.1:9/", "--Berth:Notifications:Endpoints:cli0:IgnoredActions:0", "pushed")]
    [InlineData("notification endpoint 'hook': TimeoutSeconds must be above 0", Endpoint0 + ":Name", "hook", Endpoint0 + ":Url", "http://127.0.0.1:9/", Endpoint0 + ":TimeoutSeconds", "0")]
    [InlineData("notification endpoints (--notify-endpoint, Berth:Notifications) need a registry", "--role", "index", "--notify-endpoint", "hook=http://127.0.0.1:9/")]
    public async Task An_unusable_endpoint_exits_2_with_one_line_before_the_server_listens(string error, params string[] args)
    {
        var port = RegistryServer.FreeLoopbackPort();
        var run = await ServerCommand.RunAsync(
            ["--urls", $"http://127.0.0.1:{port}", "--data-dir", "data", "--auth", "none", .. args],
            _work.FullName,
            environment: new Dictionary<string, string?> { ["HOME"] = _work.FullName },
            timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(2, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"berth-server: {error}", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", run.Stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _work.Delete(recursive: true);
}
