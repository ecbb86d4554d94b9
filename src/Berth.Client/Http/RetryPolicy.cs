using System.Net;

namespace Berth.Client.Http;

/// <summary>How often and how patiently to retry; shared by the handler and the transfer loops.</summary>
public sealed class RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public TimeSpan Delay(int attempt, System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta < MaxDelay ? delta : MaxDelay;
        }

        if (retryAfter?.Date is { } date)
        {
            var until = date - Time.GetUtcNow();
            return until <= TimeSpan.Zero ? BaseDelay : until < MaxDelay ? until : MaxDelay;
        }

        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.5 + Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(jittered, MaxDelay.TotalMilliseconds));
    }

    public static bool IsRetryable(HttpStatusCode status, HttpMethod method) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
        || (status == HttpStatusCode.InternalServerError && (method == HttpMethod.Get || method == HttpMethod.Head));

    /// <summary>Connection refused/reset and the like; a TLS failure or a bad URL is not going to get better.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        HttpRequestException
        {
            HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.UserAuthenticationError
        } => false,
        HttpRequestException => true,
        IOException => true,
        TimeoutException => true,
        _ => false,
    };
}
