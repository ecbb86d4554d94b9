using System.Net;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.Gc;

/// <summary>
/// Issue 15: the upload purge joins the collector. Besides the worker's frequent purge (ClusterJobLeaseTests), every pass
/// first purges upload sessions idle for longer than <c>--upload-idle-seconds</c>, and says how many.
/// </summary>
public sealed class GcUploadPurgeTests
{
    [Fact]
    public async Task A_pass_purges_idle_upload_sessions_first_and_reports_them()
    {
        // The server's own purge waits a day; the command is told one second.
        await using var site = await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-interval", "off"]);
        var registry = new GcRegistry(site);
        using var started = await site.Http.PostAsync("v2/purge/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!;
        using (var chunk = new ByteArrayContent(GcRegistry.RandomBlob(4096)))
        {
            chunk.Headers.ContentType = new("application/octet-stream");
            using var patched = await site.Http.PatchAsync(location, chunk);
            Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var result = await registry.RunGcCommandAsync("--upload-idle-seconds", "1");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" uploads=1", result.Stdout, StringComparison.Ordinal);

        using (var status = await site.Http.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        }

        var runs = await site.Admin.GetJsonAsync("api/v1/gc");
        Assert.Equal(1, (int)runs["runs"]![0]!["uploadsPurged"]!);
    }
}
