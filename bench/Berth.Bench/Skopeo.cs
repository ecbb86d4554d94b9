using System.Diagnostics;

namespace Berth.Bench;

/// <summary>skopeo copy against a server, with a hard time limit; throws with its output when it fails.</summary>
internal static class Skopeo
{
    public static Task<TimeSpan> PushAsync(ImageLayout image, Server server, string repository, bool all, CancellationToken ct)
    {
        var args = new List<string> { "copy", "--insecure-policy", "--retry-times", "0", "--dest-tls-verify=false" };
        if (server.Credentials is { } c)
        {
            args.Add($"--dest-creds={c.User}:{c.Password}");
        }

        if (all)
        {
            args.Add("--all");
        }

        args.Add(image.Reference);
        args.Add($"docker://{server.HostPort}/{repository}:{image.Tag}");
        return RunAsync(args, ct);
    }

    /// <summary>Pulls into a <c>dir:</c> directory (created fresh; the caller deletes it).</summary>
    public static Task<TimeSpan> PullAsync(Server server, string repository, string tag, string destination, bool all, CancellationToken ct)
    {
        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        var args = new List<string> { "copy", "--insecure-policy", "--retry-times", "0", "--src-tls-verify=false" };
        if (server.Credentials is { } c)
        {
            args.Add($"--src-creds={c.User}:{c.Password}");
        }

        if (all)
        {
            args.Add("--all");
        }

        args.Add($"docker://{server.HostPort}/{repository}:{tag}");
        args.Add($"dir:{destination}");
        return RunAsync(args, ct);
    }

    /// <summary>
    /// Copies a local OCI layout into a <c>dir:</c> directory, no server involved: the least any registry's pull of the
    /// same image can cost skopeo (reading, digest checks, writing).
    /// </summary>
    public static Task<TimeSpan> CopyLocalAsync(ImageLayout image, string destination, CancellationToken ct)
    {
        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        return RunAsync(["copy", "--insecure-policy", image.Reference, $"dir:{destination}"], ct);
    }

    private static async Task<TimeSpan> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo("skopeo")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start skopeo");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"skopeo {string.Join(' ', args)} did not finish");
        }

        var elapsed = stopwatch.Elapsed;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"skopeo {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }

        return elapsed;
    }
}
