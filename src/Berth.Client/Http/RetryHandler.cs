using Berth.Client.Auth;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Http;

/// <summary>
/// Retries requests whose body can be sent again, with exponential backoff and jitter, on network errors, 429 and
/// 502/503/504 (and 500 for reads). <c>Retry-After</c> is honoured up to a cap. Streamed uploads and downloads are
/// not retried here: the transfer code resumes them from where the registry says they stand.
/// </summary>
internal sealed partial class RetryHandler(HttpMessageHandler inner, RetryPolicy policy, ILogger logger) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var replayable = request.Content is null or ByteArrayContent or ReplayableContent;
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e) when (replayable && attempt < policy.MaxAttempts && !cancellationToken.IsCancellationRequested && RetryPolicy.IsTransient(e))
            {
                var delay = policy.Delay(attempt, null);
                LogRetry(logger, request.Method.Method, request.RequestUri, e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, policy.Time, cancellationToken);
                continue;
            }

            if (!replayable || attempt >= policy.MaxAttempts || !RetryPolicy.IsRetryable(response.StatusCode, request.Method))
            {
                return response;
            }

            var wait = policy.Delay(attempt, response.Headers.RetryAfter);
            LogRetry(logger, request.Method.Method, request.RequestUri, $"{(int)response.StatusCode}", wait.TotalMilliseconds);
            response.Dispose();
            await Task.Delay(wait, policy.Time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Uri} failed ({Reason}); retrying in {DelayMs:0} ms")]
    private static partial void LogRetry(ILogger logger, string method, Uri? uri, string reason, double delayMs);
}
