namespace Berth.Data.Events;

/// <summary>
/// Wakes a background worker as soon as this process commits work for it, so the work does not wait for the worker's
/// next poll (which is still needed for what other nodes commit). A notification before the worker waits is not lost.
/// One subclass per worker, so each is its own service.
/// </summary>
public abstract class CommitSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called after a commit that added work.</summary>
    public void Notify() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>
    /// Arms the signal before the worker reads its queue: a commit from then on ends the following
    /// <see cref="WaitAsync"/> at once.
    /// </summary>
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
        await timer.CancelAsync(); // ends the delay, if the signal came first
        cancellationToken.ThrowIfCancellationRequested();
    }
}
