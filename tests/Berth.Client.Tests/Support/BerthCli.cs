using System.Diagnostics;
using System.Reflection;

namespace Berth.Client.Tests.Support;

/// <summary>Runs the real berth executable (built with the tests) as a child process, as users run it.</summary>
public static class BerthCli
{
    public static string Dll { get; } = Environment.GetEnvironmentVariable("BERTH_CLI_DLL")
        ?? typeof(BerthCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthCliDll").Value!;

    public static Task<CliResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, TimeSpan? timeout = null) =>
        Cli.RunAsync("dotnet", [Dll, .. args], timeout ?? Sandbox.Timeout, environment);

    /// <summary>Starts berth without waiting, to kill it mid-transfer.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info)!;
        process.StandardInput.Close();
        // Drain the pipes so the child never blocks on a full one.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
