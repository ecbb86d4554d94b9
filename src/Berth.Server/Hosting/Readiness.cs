using System.Text.Json;
using Berth.Data;
using Berth.Registry.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Berth.Server.Hosting;

/// <summary>
/// <c>/healthz</c>: the process answers (a liveness probe: restart it when this fails). <c>/readyz</c>: the database
/// and the blob storage answer too (a readiness probe: send it no traffic meanwhile); 503 while either does not. Both
/// are anonymous, so the body names only which dependency failed; the reason goes to the log.
/// </summary>
internal static partial class Readiness
{
    public const string Ready = "ready";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: [Ready], timeout: ProbeTimeout)
            .AddCheck<StorageCheck>("storage", tags: [Ready], timeout: ProbeTimeout);
        return services;
    }

    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync })
            .ExcludeFromDescription();
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", Word(report.Status));
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteString(name, Word(entry.Status));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return http.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }

    /// <summary>Degraded (200): serving, with a limit (e.g. the disk below its reserve refuses pushes; <see cref="DiskSpace"/>).</summary>
    private static string Word(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "ok",
        HealthStatus.Degraded => "degraded",
        _ => "unavailable",
    };

    /// <summary>One round trip to the database (SELECT 1 through the pool).</summary>
    internal sealed partial class DatabaseCheck(IServiceScopeFactory scopes, ILogger<DatabaseCheck> logger) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            try
            {
                await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogUnavailable(logger, e.Message);
                return HealthCheckResult.Unhealthy("database unavailable");
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness: the database does not answer: {Reason}")]
        private static partial void LogUnavailable(ILogger logger, string reason);
    }

    /// <summary>
    /// A stat of one key through the storage driver: on S3 a HEAD request, so an unreachable or refusing store fails
    /// it; on files a stat, which fails only when the file system itself does.
    /// </summary>
    internal sealed partial class StorageCheck(IServiceProvider services, ILogger<StorageCheck> logger) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            if (services.GetService<IStorageDriver>() is not { } storage)
            {
                return HealthCheckResult.Healthy("no storage in this role");
            }

            try
            {
                _ = await storage.StatAsync("readiness-probe", cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogUnavailable(logger, e.Message);
                return HealthCheckResult.Unhealthy("storage unavailable");
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness: the blob storage does not answer: {Reason}")]
        private static partial void LogUnavailable(ILogger logger, string reason);
    }
}
