namespace Berth.Index.Webhooks;

/// <summary>
/// Wakes the webhook delivery worker as soon as this process commits deliveries, so they do not wait for its next poll
/// (still needed for what other nodes commit). A notification before the worker waits is not lost.
/// </summary>
public sealed class WebhookSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called after a commit that added deliveries.</summary>
    public void Notify() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Arms the signal before the worker reads the queue: a commit from then on ends the next <see cref="WaitAsync"/> at once.</summary>
    public void Arm()
    {
        var current = Volatile.Read(ref _next);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }

    /// <summary>Returns when notified (since the last <see cref="Arm"/>) or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var notified = Volatile.Read(ref _next).Task;
        var elapsed = Task.Delay(timeout, time, timer.Token);
        await Task.WhenAny(notified, elapsed);
        await timer.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
