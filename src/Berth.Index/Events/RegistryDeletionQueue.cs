using System.Threading.Channels;
using Berth.Data;
using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Events;

/// <summary>
/// What the index's deletions to separate registries share: the registry that always gets them (<c>--registry-url</c>)
/// and the doorbell that wakes the delivering worker when a delete commits. The owed deletions themselves are rows.
/// </summary>
public sealed class RegistryDeletionQueue(string? alwaysNotifiedRegistryUrl)
{
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>A registry owed every repository deletion, reported by it or not; null if none is configured.</summary>
    public string? AlwaysNotifiedRegistryUrl { get; } = RegistryUrls.Normalize(alwaysNotifiedRegistryUrl);

    public void Ring() => _doorbell.Writer.TryWrite(true);

    /// <summary>Waits until <see cref="Ring"/> or <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await _doorbell.Reader.ReadAsync(either.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: time to look at the table again (another index node may have added rows).
        }
    }
}

/// <summary>
/// A separate registry setup: every registry that reported a push of the repository (plus the always-notified one)
/// is owed a deletion, written as a <c>registry_deletions</c> row in the index's own delete transaction.
/// </summary>
public sealed class RegistryDeletionScheduler(BerthDbContext db, RegistryDeletionQueue queue, TimeProvider time) : IRepositoryContentRemover
{
    public async Task ScheduleAsync(string repository, CancellationToken cancellationToken)
    {
        var registries = await db.RegistryRepositories.Where(r => r.Repository == repository).Select(r => r.RegistryUrl).ToListAsync(cancellationToken);
        if (queue.AlwaysNotifiedRegistryUrl is { } always)
        {
            registries.Add(always);
        }

        var now = time.GetUtcNow().UtcDateTime;
        foreach (var registry in registries.Distinct(StringComparer.Ordinal))
        {
            db.RegistryDeletions.Add(new RegistryDeletion { RegistryUrl = registry, Repository = repository, CreatedAt = now, NextAttemptAt = now });
        }

        // The registries no longer hold it once the deletions are delivered; a later push records them afresh.
        await db.RegistryRepositories.Where(r => r.Repository == repository).ExecuteDeleteAsync(cancellationToken);
    }

    public void Start() => queue.Ring();
}
