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

    private static readonly Gauge StorageFreeBytes = Metrics.CreateGauge(
        "berth_storage_free_bytes", "Free bytes on the disk holding the data directory (blobs, uploads, the SQLite database); absent when none is local.",
        new GaugeConfiguration { SuppressInitialValue = true });

    public static void ObserveRegistryRequest(string route, string method, int status, TimeSpan elapsed) =>
        RegistryRequests.WithLabels(route, method, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Observe(elapsed.TotalSeconds);

    private static readonly Gauge OutboxPending = Metrics.CreateGauge(
        "berth_outbox_pending_events", "Registry events not yet delivered, by subscriber (index: the index in this process; index-http: a separate registry's index; notify:NAME: a notification endpoint).",
        new GaugeConfiguration { LabelNames = ["subscriber"] });

    private static readonly Gauge OutboxLag = Metrics.CreateGauge(
        "berth_outbox_lag_seconds", "Age of the oldest registry event not yet delivered, by subscriber (0 when none waits).",
        new GaugeConfiguration { LabelNames = ["subscriber"] });

    /// <summary>
    /// The gauges read from the database (uploads in progress, the outbox backlog: every node sees the same) and from
    /// the data directory's disk, refreshed in one callback when Prometheus scrapes, not on a timer.
    /// </summary>
    public static void RefreshOnScrape(IServiceProvider services)
    {
        var subscribers = services.GetServices<Berth.Registry.Events.IOutboxSubscriber>().Select(s => s.Name).ToArray();
        var disk = services.GetService<DiskSpace>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var mirror = services.GetService<Berth.Mirror.MirrorStats>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
        {
            if (disk?.FreeBytes() is { } free)
            {
                StorageFreeBytes.Set(free);
            }

            if (mirror is not null)
            {
                RefreshMirror(mirror);
            }

            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            try
            {
                UploadsInProgress.Set(await db.Uploads.CountAsync(cancellationToken));
                if (subscribers.Length > 0)
                {
                    await RefreshOutboxAsync(db, subscribers, time, cancellationToken);
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                // The database is down: /readyz says so; the gauges keep their last values.
            }
        });
    }

    private static async Task RefreshOutboxAsync(BerthDbContext db, string[] subscribers, TimeProvider time, CancellationToken cancellationToken)
    {
        var positions = await db.OutboxCursors.AsNoTracking()
            .Where(c => subscribers.Contains(c.Subscriber))
            .ToDictionaryAsync(c => c.Subscriber, c => c.Position, cancellationToken);
        foreach (var name in subscribers)
        {
            // No cursor yet (delivery held since start): every event kept is pending.
            var position = positions.GetValueOrDefault(name);
            var pending = db.OutboxEvents.Where(e => e.Id > position);
            var count = await pending.CountAsync(cancellationToken);
            var oldest = count == 0 ? (DateTime?)null
                : await pending.OrderBy(e => e.Id).Select(e => (DateTime?)e.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            OutboxPending.WithLabels(name).Set(count);
            OutboxLag.WithLabels(name).Set(oldest is { } created
                ? Math.Max(0, (time.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(created, DateTimeKind.Utc)).TotalSeconds)
                : 0);
        }
    }

    /// <summary>Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up).</summary>
    public static readonly Counter WebhookDeliveries = Metrics.CreateCounter(
        "berth_webhook_deliveries_total", "Webhook delivery attempts by outcome (delivered, retry, failed).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    /// <summary>Set by the webhook worker now and then: deliveries not yet delivered or given up (every node sees the same).</summary>
    public static readonly Gauge WebhookPending = Metrics.CreateGauge(
        "berth_webhook_pending_deliveries", "Webhook deliveries waiting to be delivered or retried.");

    private static readonly Counter MirrorRequests = Metrics.CreateCounter(
        "berth_mirror_requests_total", "Pull-through mirror: manifests and blobs by upstream and outcome (hit: served from the cache; miss: fetched; revalidation: a cached tag checked upstream; error: the upstream failed).",
        new CounterConfiguration { LabelNames = ["upstream", "outcome"] });

    private static readonly Counter MirrorBytesFetched = Metrics.CreateCounter(
        "berth_mirror_fetched_bytes_total", "Pull-through mirror: bytes fetched from each upstream (blobs and manifests).",
        new CounterConfiguration { LabelNames = ["upstream"] });

    /// <summary>The mirror counts its upstreams' traffic itself (it has no metrics library); copied here on each scrape.</summary>
    private static void RefreshMirror(Berth.Mirror.MirrorStats mirror)
    {
        foreach (var (upstream, counts) in mirror.Snapshot())
        {
            MirrorRequests.WithLabels(upstream, "hit").IncTo(counts.Hits);
            MirrorRequests.WithLabels(upstream, "miss").IncTo(counts.Misses);
            MirrorRequests.WithLabels(upstream, "revalidation").IncTo(counts.Revalidations);
            MirrorRequests.WithLabels(upstream, "error").IncTo(counts.Errors);
            MirrorBytesFetched.WithLabels(upstream).IncTo(counts.BytesFetched);
        }
    }
}
