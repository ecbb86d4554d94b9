using System.Diagnostics;
using System.Globalization;

namespace Berth.Bench;

/// <summary>What one wrk run measured.</summary>
internal sealed record WrkResult(long Requests, double Seconds, double P50Ms, double P99Ms, long Errors)
{
    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>Runs wrk (bounded by its own duration and a hard process timeout) with bench/wrk.lua.</summary>
internal static class Wrk
{
    public static async Task<WrkResult> RunAsync(
        string script, Uri url, string method, int connections, TimeSpan duration, string? accept, string? authorization, CancellationToken ct, int timeoutSeconds = 5, bool tolerateErrors = false)
    {
        var info = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        foreach (var arg in new[] { "-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--timeout", $"{timeoutSeconds}s", "-s", script, url.ToString() })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["BENCH_METHOD"] = method;
        info.Environment["BENCH_ACCEPT"] = accept ?? "";
        info.Environment["BENCH_AUTHORIZATION"] = authorization ?? "";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds + timeoutSeconds + 30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wrk did not finish: {url}");
        }

        var output = await stdout;
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result for {method} {url}:\n{output}\n{await stderr}");
        var values = line[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('='))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        var result = new WrkResult(
            (long)values["requests"],
            values["duration_us"] / 1e6,
            values["p50_us"] / 1e3,
            values["p99_us"] / 1e3,
            (long)(values["status_errors"] + values["socket_errors"]));
        if (result.Requests == 0 || (!tolerateErrors && result.Errors > result.Requests / 2))
        {
            throw new InvalidOperationException($"wrk {method} {url}: {result.Errors} errors (non-2xx or timeouts over {timeoutSeconds} s) in {result.Requests} requests");
        }

        return result;
    }
}
