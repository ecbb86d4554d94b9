using System.Runtime.CompilerServices;

namespace Berth.Mirror;

/// <summary>
/// Remembers the <c>Retry-After</c> of an upstream's 429 or 503 for the code that made the call (the client turns the
/// answer into an exception that does not carry it). The caller opens a <see cref="Watch"/>; the handler fills it,
/// through the async flow, from whichever request of that call was refused.
/// </summary>
internal sealed class RetryAfterObserver(HttpMessageHandler inner, TimeProvider time) : DelegatingHandler(inner)
{
    private static readonly AsyncLocal<StrongBox<DateTimeOffset?>?> Current = new();

    /// <summary>Starts watching the calls made from here on in this async flow; read the result after them.</summary>
    public static StrongBox<DateTimeOffset?> Watch()
    {
        var box = new StrongBox<DateTimeOffset?>();
        Current.Value = box;
        return box;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode is 429 or 503 && Current.Value is { } box && response.Headers.RetryAfter is { } retryAfter)
        {
            box.Value = retryAfter.Date ?? (retryAfter.Delta is { } delta ? time.GetUtcNow() + delta : null);
        }

        return response;
    }
}
