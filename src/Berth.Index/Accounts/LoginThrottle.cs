using System.Collections.Concurrent;

namespace Berth.Index.Accounts;

/// <summary>
/// Slows password guessing per account name: after <see cref="MaxFailures"/> failures within the window the
/// name is locked for the rest of the window, whatever the password. Complements the per-address rate limit.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Since)> _failures = new(StringComparer.Ordinal);

    public bool IsLocked(string user) =>
        _failures.TryGetValue(user, out var entry) && entry.Count >= MaxFailures && time.GetUtcNow() - entry.Since < Window;

    public void RecordFailure(string user)
    {
        var now = time.GetUtcNow();
        _failures.AddOrUpdate(user, _ => (1, now), (_, e) => now - e.Since >= Window ? (1, now) : (e.Count + 1, e.Since));
        if (_failures.Count > 100_000)
        {
            _failures.Clear(); // bounded memory under a spray of random names
        }
    }

    public void RecordSuccess(string user) => _failures.TryRemove(user, out _);
}
