using Berth.Client.Registry;
using Berth.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

/// <summary>
/// When each upstream may be asked again, in the database (<c>mirror_backoffs</c>), so every node sharing it honours an
/// upstream's <c>Retry-After</c>. Without one, a refusal (429, 503) backs off <see cref="RefusedWithoutRetryAfter"/>, an
/// upstream that cannot be reached or fails <see cref="Unreachable"/>; a Retry-After is capped at an hour.
/// </summary>
internal sealed partial class UpstreamBackoff(IServiceScopeFactory scopes, TimeProvider time, ILogger<UpstreamBackoff> logger)
{
    public static readonly TimeSpan RefusedWithoutRetryAfter = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Unreachable = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    /// <summary>The time before which <paramref name="upstream"/> must not be asked, or null when it may be now.</summary>
    public async Task<DateTimeOffset?> NotBeforeAsync(Upstream upstream, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        var now = time.GetUtcNow();
        var until = await db.MirrorBackoffs.Where(b => b.Upstream == upstream.Label).Select(b => (DateTime?)b.NotBefore).FirstOrDefaultAsync(cancellationToken);
        return until is { } u && new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc)) > now ? new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc)) : null;
    }

    /// <summary>Records that <paramref name="upstream"/> failed <paramref name="failure"/>; a later time already recorded stands.</summary>
    public async Task RecordAsync(Upstream upstream, RegistryException failure, DateTimeOffset? retryAfter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var refused = failure.Status is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable;
        var until = retryAfter is { } r && r > now
            ? (r - now > MaxBackoff ? now + MaxBackoff : r)
            : now + (refused ? RefusedWithoutRetryAfter : Unreachable);
        var value = until.UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "mirror_backoffs" ("Upstream", "NotBefore") VALUES ({upstream.Label}, {value})
            ON CONFLICT ("Upstream") DO UPDATE SET "NotBefore" = excluded."NotBefore"
            WHERE "mirror_backoffs"."NotBefore" < excluded."NotBefore"
            """,
            cancellationToken);
        LogBackingOff(logger, upstream.Label, (int?)failure.Status ?? 0, (until - now).TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mirror upstream {Upstream} failed ({Status}); not asking it again for {Seconds:0.#} s")]
    private static partial void LogBackingOff(ILogger logger, string upstream, int status, double seconds);
}
