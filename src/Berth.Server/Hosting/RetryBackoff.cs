namespace Berth.Server.Hosting;

/// <summary>
/// When a background delivery tries again after a failure: exponential from <c>first</c>, capped, with jitter (half to
/// all of it) so that many failures against one receiver do not come back in step. One rule for every durable queue.
/// </summary>
internal static class RetryBackoff
{
    public static TimeSpan After(int attempts, TimeSpan first, TimeSpan cap)
    {
        var exponential = first.TotalMilliseconds * Math.Pow(2, Math.Min(Math.Max(attempts, 1) - 1, 30));
        var capped = Math.Min(exponential, cap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
