using System.Reflection;

namespace Berth.Testing;

/// <summary>
/// Runs the built <c>berth-server</c> as a command that exits (option mistakes, <c>--version</c>, <c>admin …</c>), with a
/// bounded time: what a user sees of it is its exit code and its output.
/// </summary>
public static class ServerCommand
{
    /// <summary>The server the tests run: <c>BERTH_SERVER_DLL</c>, else the solution's Release build.</summary>
    public static string Dll =>
        Environment.GetEnvironmentVariable("BERTH_SERVER_DLL")
        ?? typeof(RegistryServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthServerDll").Value!;

    public static Task<CliResult> RunAsync(
        IEnumerable<string> args,
        string? workingDirectory = null,
        string? standardInput = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null) =>
        Cli.RunAsync("dotnet", [Dll, .. args], timeout ?? TimeSpan.FromSeconds(90), environment, workingDirectory, standardInput: standardInput);
}
