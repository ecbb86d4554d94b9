using System.Globalization;

namespace Berth.Bench;

/// <summary>
/// Issue 16's idle memory: each registry started fresh, asked <c>/v2/</c> once (a health check), left alone for a
/// moment, its resident set size; then <c>/</c> once (a first visitor: Berth's web UI), alone again, its RSS again.
/// Fresh starts, alternating order.
/// </summary>
internal sealed partial class Bench
{
    private const string IdleId = "idle";

    /// <summary>How long a server is left alone before its RSS is read: start-up's garbage settles, timers have run.</summary>
    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(5);

    private async Task IdleRssAsync(CancellationToken ct)
    {
        var title = "idle RSS: fresh start, /v2/ then / asked once, 5 s alone after each";
        Define(IdleId, title, "rss_v2", "resident set size (VmRSS) after /v2/", "MiB", Better.Lower);
        Define(IdleId, title, "rss", "resident set size (VmRSS) after /v2/ and /", "MiB", Better.Lower, target: null, absolute: 80);
        Log("idle RSS");
        _results.Note($"Load average at the start of the idle RSS starts: {LoadAverage()}.");
        for (var rep = 1; rep <= o.IdleReps; rep++)
        {
            Registry[] order = rep % 2 == 1 ? [Registry.Berth, Registry.Distribution] : [Registry.Distribution, Registry.Berth];
            foreach (var registry in order)
            {
                var dir = Dir("idle", $"{registry}-{rep}");
                await using var server = registry == Registry.Berth
                    ? await Server.StartBerthAsync(o.BerthDll, dir, null)
                    : await Server.StartDistributionAsync(dir, null);
                using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
                foreach (var (path, key) in new[] { ("/v2/", "rss_v2"), ("/", "rss") })
                {
                    // Any answer will do (Distribution has no page at /): the figure is what serving it left behind.
                    using (var response = await http.GetAsync(path, ct))
                    {
                        await response.Content.ReadAsByteArrayAsync(ct);
                    }

                    await Task.Delay(IdleSettle, ct);
                    var mib = server.RssBytes() / 1048576.0;
                    Log(string.Create(CultureInfo.InvariantCulture, $"  idle {server.Name,-12} after {path,-4} {mib:0.0} MiB"));
                    _results.Add($"{IdleId}.{key}", registry, mib);
                }
            }
        }
    }
}
