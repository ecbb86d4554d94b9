using System.Diagnostics;
using System.Globalization;

namespace Berth.Bench;

/// <summary>
/// curl for the byte-moving requests: a lean C client that streams a file from the page cache (or into /dev/null),
/// so the client spends as little of the shared 2 cores as possible. Returns status, curl's own transfer time, bytes and the Location header.
/// </summary>
internal static class Curl
{
    public static async Task<(int Status, TimeSpan Elapsed, long Bytes, string Location)> RunAsync(
        string method, Uri url, string? uploadFile, IEnumerable<string> headers, CancellationToken ct)
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var args = new List<string> { "-sS", "--max-time", "600", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download} %{size_upload} %header{location}", "-X", method, "-H", "Expect:" };
        foreach (var header in headers)
        {
            args.Add("-H");
            args.Add(header);
        }

        if (uploadFile is not null)
        {
            args.Add("-H");
            args.Add("Content-Type: application/octet-stream");
            args.Add("-T");
            args.Add(uploadFile);
        }

        args.Add(url.ToString());
        args.ForEach(info.ArgumentList.Add);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start curl");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var parts = (await stdout).Trim().Split(' ', 5);
        if (process.ExitCode != 0 || parts.Length < 4)
        {
            throw new InvalidOperationException($"curl {method} {url} exited {process.ExitCode}: {await stderr}");
        }

        var seconds = double.Parse(parts[1], CultureInfo.InvariantCulture);
        var bytes = long.Parse(method == "GET" ? parts[2] : parts[3], CultureInfo.InvariantCulture);
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(seconds), bytes, parts.Length > 4 ? parts[4].Trim() : "");
    }
}
