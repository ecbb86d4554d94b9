using System.Diagnostics;
using System.Text;

namespace Berth.Testing;

/// <summary>What a finished command line did.</summary>
public sealed record CliResult(string FileName, IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws (with the whole command line and its output) unless the command exited 0.</summary>
    public CliResult EnsureSuccess() => Succeeded ? this : throw new CliException(this);

    public string CommandLine => Cli.Format(FileName, Arguments);

    public override string ToString() =>
        $"$ {CommandLine}\nexit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{Clip(Stdout)}\n--- stderr\n{Clip(Stderr)}";

    private static string Clip(string text) => text.Length <= 8000 ? text : text[..4000] + "\n…\n" + text[^4000..];
}

public sealed class CliException(CliResult result) : Exception(result.ToString())
{
    public CliResult Result { get; } = result;
}

/// <summary>Runs external tools (skopeo, podman, buildah, …) with a bounded time; kills the process tree on timeout.</summary>
public static class Cli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static async Task<CliResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default,
        string? standardInput = null)
    {
        var args = arguments.ToList();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        if (environment is not null)
        {
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
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start '{fileName}' (is it installed?): {e.Message}", e);
        }

        // Nothing else is ever typed into these tools: a prompt must fail, not hang.
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            var partialOut = await DrainAsync(stdout);
            var partialErr = await DrainAsync(stderr);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0} s and killed: {Format(fileName, args)}\n--- stdout\n{partialOut}\n--- stderr\n{partialErr}");
        }

        return new CliResult(fileName, args, process.ExitCode, await DrainAsync(stdout), await DrainAsync(stderr), stopwatch.Elapsed);
    }

    /// <summary>A command line quoted well enough for a human to paste into a shell.</summary>
    public static string Format(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task<string> DrainAsync(Task<string> read)
    {
        // A grandchild that inherited the pipe could keep it open; never wait on it for long.
        var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
        return finished == read ? await read : "(output not closed)";
    }
}
