using Berth.Data;
using Microsoft.EntityFrameworkCore;
using Prometheus;

namespace Berth.Server.Hosting;

/// <summary>
/// Berth's own Prometheus metrics, beside prometheus-net's HTTP metrics for endpoint-routed requests (index API, web
/// UI, token service) and the .NET runtime's. The registry API (/v2) has its own dispatcher, so its requests are timed
/// here with the route kind as the label; no label carries a repository name, a user or a token.
/// </summary>
internal static class BerthMetrics
{
    private static readonly Histogram RegistryRequests = Metrics.CreateHistogram(
        "berth_registry_request_duration_seconds",
        "Registry API (/v2) requests by route kind, method and status code.",
        new HistogramConfiguration
        {
            LabelNames = ["route", "method", "code"],
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
        });

    public static readonly Counter BlobBytesSent = Metrics.CreateCounter(
        "berth_blob_bytes_sent_total", "Blob bytes sent in answer to GETs (ranges included).");

    public static readonly Counter BlobBytesStored = Metrics.CreateCounter(
        "berth_blob_bytes_uploaded_total", "Sizes of the blobs whose uploads completed (monolithic or the final PUT).");

    public static readonly Counter TokensIssued = Metrics.CreateCounter(
        "berth_tokens_issued_total", "Registry access tokens issued by the token service.");

    public static readonly Counter AuthFailures = Metrics.CreateCounter(
        "berth_auth_failures_total", "Refusals: /v2 requests with credentials challenged, denied or throttled; /token logins refused or throttled.",
        new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Gauge UploadsInProgress = Metrics.CreateGauge(
        "berth_uploads_in_progress", "Upload sessions open in the database (all nodes).");

    public static readonly Gauge StorageFreeBytes = Metrics.CreateGauge(
        "berth_storage_free_bytes", "Free bytes on the disk holding the data directory (blobs, uploads, the SQLite database); absent when none is local.",
        new GaugeConfiguration { SuppressInitialValue = true });

    public static void ObserveRegistryRequest(string route, string method, int status, TimeSpan elapsed) =>
        RegistryRequests.WithLabels(route, method, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Observe(elapsed.TotalSeconds);

    /// <summary>Gauges read from the database are refreshed when Prometheus scrapes, not on a timer.</summary>
    public static void RefreshOnScrape(IServiceProvider services) =>
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            try
            {
                UploadsInProgress.Set(await db.Uploads.CountAsync(cancellationToken));
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                // The database is down: /readyz says so; the gauge keeps its last value.
            }
        });
}
