namespace Berth.Mirror.Tests;

/// <summary>berth-server refuses a mirror it could not use, at start and with exit 2, rather than at the first pull.</summary>
public sealed class MirrorOptionTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("berth-mirror-options-");

    [Theory]
    [InlineData("option '--mirror' needs URL or NAME=URL", "--mirror", "registry.example")]
    [InlineData("option '--mirror' needs URL or NAME=URL", "--mirror", "docker.io=ftp://registry.example")]
    [InlineData("only one mirror may be unnamed", "--mirror", "https://a.example", "--mirror", "https://b.example")]
    [InlineData("mirror name 'Docker.io' must be one lower-case repository path component", "--mirror", "Docker.io=https://a.example")]
    [InlineData("--mirror needs a process that runs the registry", "--role", "index", "--mirror", "https://a.example")]
    public async Task A_mirror_that_cannot_work_is_refused_at_start_with_exit_2(string error, params string[] args)
    {
        var result = await ServerCommand.RunAsync(["--data-dir", Path.Combine(_work.FullName, "data"), "--urls", $"http://127.0.0.1:{RegistryServer.FreeLoopbackPort()}", .. args], workingDirectory: _work.FullName);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith($"berth-server: {error}", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _work.Delete(recursive: true);
}
