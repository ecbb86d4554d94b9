using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Bench;

/// <summary>
/// Runs hey for HEAD requests: wrk's parser waits for the body a HEAD response announces in Content-Length,
/// so it cannot measure HEAD. hey (Go net/http) is a heavier client than wrk; the figures are comparable
/// between the two registries, not with wrk's.
/// </summary>
internal static partial class Hey
{
    public static async Task<WrkResult> RunAsync(Uri url, string method, int connections, TimeSpan duration, string? authorization, CancellationToken ct)
    {
        var info = new ProcessStartInfo("hey") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        foreach (var arg in new[] { "-m", method, "-c", connections.ToString(CultureInfo.InvariantCulture), "-z", $"{seconds}s", "-t", "5", "-disable-compression" })
        {
            info.ArgumentList.Add(arg);
        }

        if (authorization is not null)
        {
            info.ArgumentList.Add("-H");
            info.ArgumentList.Add($"Authorization: {authorization}");
        }

        info.ArgumentList.Add(url.ToString());
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start hey");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds + 30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"hey did not finish: {url}");
        }

        var output = await stdout;
        var errors = await stderr;
        double Seconds(Regex pattern)
        {
            var match = pattern.Match(output);
            return match.Success
                ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"hey printed no {pattern} for {method} {url}:\n{output}\n{errors}");
        }

        var total = Seconds(TotalPattern());
        var rate = Seconds(RatePattern());
        var ok = 0L;
        var bad = 0L;
        foreach (Match m in StatusPattern().Matches(output))
        {
            var count = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (m.Groups[1].Value.StartsWith('2'))
            {
                ok += count;
            }
            else
            {
                bad += count;
            }
        }

        var result = new WrkResult((long)Math.Round(rate * total), total, Seconds(P50Pattern()) * 1000, Seconds(P99Pattern()) * 1000, bad);
        if (ok == 0 || bad > ok / 100)
        {
            throw new InvalidOperationException($"hey {method} {url}: {bad} non-2xx of {ok + bad}:\n{output}");
        }

        return result;
    }

    [GeneratedRegex(@"Total:\s+([0-9.]+) secs")]
    private static partial Regex TotalPattern();

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"50% in ([0-9.]+) secs")]
    private static partial Regex P50Pattern();

    [GeneratedRegex(@"99% in ([0-9.]+) secs")]
    private static partial Regex P99Pattern();

    [GeneratedRegex(@"\[(\d{3})\]\s+(\d+) responses")]
    private static partial Regex StatusPattern();
}
