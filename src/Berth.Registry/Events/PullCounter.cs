using System.Collections.Concurrent;

namespace Berth.Registry.Events;

/// <summary>
/// Pulls counted in memory per repository, so a manifest GET writes nothing to the database; a flusher turns the
/// counts into one outbox event per repository about every second. A process killed outright loses the counts of
/// its last interval (at most about a second of pulls), never more.
/// </summary>
public sealed class PullCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Count(string repository) => _counts.AddOrUpdate(repository, 1, static (_, n) => n + 1);

    /// <summary>Takes every count gathered so far (removing them).</summary>
    public IReadOnlyList<(string Repository, long Count)> Drain()
    {
        var drained = new List<(string, long)>();
        foreach (var repository in _counts.Keys)
        {
            if (_counts.TryRemove(repository, out var count))
            {
                drained.Add((repository, count));
            }
        }

        return drained;
    }

    /// <summary>Puts counts back that could not be written, to be tried with the next interval.</summary>
    public void Restore(IEnumerable<(string Repository, long Count)> counts)
    {
        foreach (var (repository, count) in counts)
        {
            _counts.AddOrUpdate(repository, count, (_, n) => n + count);
        }
    }
}
