using System.Threading.RateLimiting;
using Berth.Server.Api;
using Berth.Server.Endpoints;

namespace Berth.Server.Hosting;

/// <summary>
/// The per-address rate limits (<c>/token</c>, sign-up): a token bucket per address on each node, and the same budget
/// shared by every node on the database (<see cref="ClusterRateLimiter"/>), so a client spraying N nodes gets about
/// the configured rate in total, not N times it.
/// </summary>
internal static class ClusterRateLimits
{
    private static readonly TimeSpan SyncInterval = TimeSpan.FromMilliseconds(100);

    public static IServiceCollection AddBerthRateLimits(this IServiceCollection services, BerthOptions options)
    {
        services.AddSingleton<RateLimitWindows>();
        if (options.RunsIndex)
        {
            services.AddHostedService<RateLimitWindowPruner>();
        }

        return services.AddRateLimiter(limiter =>
        {
            // Per client address, a bound on load rather than on guessing (the login throttle stops guessing by counting
            // failures): a CI behind one NAT address fetching a token per request must fit. --token-rate-limit 0 turns it off.
            var tokenRate = Math.Min(options.TokenRateLimit, 100_000);
            limiter.AddPolicy(TokenEndpoints.RateLimitPolicy, context => tokenRate <= 0
                ? RateLimitPartition.GetNoLimiter("all")
                : Partition(context, TokenEndpoints.RateLimitPolicy, burst: tokenRate * 5, perSecond: tokenRate));

            // Sign-up hashes a new password with bcrypt on every request: few per address.
            limiter.AddPolicy(AccountsApi.SignupRateLimitPolicy, context => Partition(context, AccountsApi.SignupRateLimitPolicy, burst: 100, perSecond: 20));
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = "1";
                if (http.Request.Path.StartsWithSegments("/api"))
                {
                    await Results.Problem("too many requests from this address; retry later", statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
                    return;
                }

                // Registry clients read the registry's error shape, also from the token endpoint.
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await OciResponses.WriteErrorAsync(http, Berth.Oci.OciErrorCode.TooManyRequests);
            };
        });
    }

    /// <summary>
    /// A bucket of <paramref name="burst"/> refilled at <paramref name="perSecond"/> on this node; across the cluster,
    /// <paramref name="burst"/> per the time the bucket takes to refill.
    /// </summary>
    private static RateLimitPartition<string> Partition(HttpContext context, string policy, int burst, int perSecond)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var services = context.RequestServices;
        return RateLimitPartition.Get($"{policy}|{address}", key => new ClusterRateLimiter(
            key,
            new ClusterRateLimit(burst, TimeSpan.FromSeconds((double)burst / perSecond), SyncInterval),
            new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }),
            services.GetRequiredService<RateLimitWindows>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterRateLimiter>()));
    }
}
