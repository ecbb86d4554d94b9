using System.Reflection;

namespace Berth.Cluster.Tests.Support;

/// <summary>Runs the real berth executable (built with the tests) in a tool sandbox's environment.</summary>
public static class BerthCli
{
    public static string Dll { get; } = Environment.GetEnvironmentVariable("BERTH_CLI_DLL")
        ?? typeof(BerthCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthCliDll").Value!;

    public static Task<CliResult> RunAsync(ToolSandbox sandbox, params string[] args) =>
        Cli.RunAsync("dotnet", [Dll, .. args], TimeSpan.FromSeconds(300), sandbox.Environment);
}
