namespace Berth.Server.Webhooks;

/// <summary>How webhook deliveries are made, retried, given up and kept (the <c>--webhook-*</c> options).</summary>
/// <param name="RetryWindow">A delivery is retried this long after it was queued, then it is Failed and the next one goes.</param>
/// <param name="DisableAfter">A webhook whose attempts all failed for this long is disabled, with the reason recorded.</param>
/// <param name="LogRetention">Delivered and failed deliveries (and their attempts) are pruned this long after they finished.</param>
/// <param name="FirstRetry">The wait after the first failed attempt; it doubles (with jitter) up to <paramref name="MaxRetry"/>.</param>
internal sealed record WebhookDeliverySettings(
    TimeSpan Timeout,
    TimeSpan RetryWindow,
    TimeSpan DisableAfter,
    TimeSpan LogRetention,
    TimeSpan FirstRetry,
    TimeSpan MaxRetry)
{
    /// <summary>Webhooks delivered to at once by this node (each has at most one request in flight).</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>Also read the queue this often: other nodes commit deliveries this process is not signalled about.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Woken by new deliveries, the worker waits this long before it reads the queues, so that a burst of pushes is sent
    /// in a few turns (one read and one write each) instead of one turn per delivery: with 10 webhooks on a repository,
    /// every push would otherwise cost 10 turns of database work that competes with the pushes for the writer.
    /// </summary>
    public TimeSpan Gather { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Deliveries sent per webhook before its turn is given up to others (it is taken up again at once).</summary>
    public int TurnSize { get; init; } = 50;

    /// <summary>Successful attempts recorded in one write; a crash repeats at most these (at least once).</summary>
    public int SaveEvery { get; init; } = 16;

    /// <summary>Within a turn, the webhook's row is read again after this long, so a disable or a new URL counts soon.</summary>
    public TimeSpan RecheckAfter { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(5);

    public int PruneBatch { get; init; } = 1000;

    /// <summary>How long a node holds a webhook per attempt: longer than an attempt can take, so a live holder never loses it.</summary>
    public TimeSpan Lease => Timeout + TimeSpan.FromSeconds(10);
}
