using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Index.Accounts;

/// <summary>
/// Password checks bcrypt has already passed, so a client asking for a token per request does not pay ~0.1 s
/// each time. An entry is an HMAC-SHA256, under a key that lives in this process only, of the account name, the
/// password and the account's current password hash: nothing stored can be reversed or used elsewhere, and a
/// password change (a new hash) misses on every node without any coordination. Entries live
/// <see cref="Lifetime"/>; at <see cref="MaxEntries"/> the expired and then the oldest are evicted, never all.
/// </summary>
internal sealed class VerifiedPasswords(TimeProvider time)
{
    public const int MaxEntries = 10_000;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();

    public bool Contains(string account, string password, string passwordHash)
    {
        var key = Key(account, password, passwordHash);
        if (!_entries.TryGetValue(key, out var expires))
        {
            return false;
        }

        if (expires > time.GetUtcNow())
        {
            return true;
        }

        _entries.TryRemove(key, out _);
        return false;
    }

    /// <summary>Remembers a check bcrypt passed. Only ever called after a successful bcrypt verification.</summary>
    public void Add(string account, string password, string passwordHash)
    {
        if (_entries.Count >= MaxEntries)
        {
            Evict();
        }

        _entries[Key(account, password, passwordHash)] = time.GetUtcNow() + Lifetime;
    }

    private void Evict()
    {
        lock (_evicting)
        {
            if (_entries.Count < MaxEntries)
            {
                return;
            }

            var now = time.GetUtcNow();
            foreach (var (key, expires) in _entries)
            {
                if (expires <= now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            // Still full of live entries: drop the tenth that expires first.
            var excess = _entries.Count - (MaxEntries * 9 / 10);
            if (excess > 0)
            {
                foreach (var (key, _) in _entries.OrderBy(e => e.Value).Take(excess).ToList())
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }
    }

    private string Key(string account, string password, string passwordHash)
    {
        // Lengths first, so no two different triples can produce the same input.
        var input = Encoding.UTF8.GetBytes($"{account.Length}:{password.Length}:{passwordHash.Length}:{account}{password}{passwordHash}");
        return Convert.ToBase64String(HMACSHA256.HashData(_key, input));
    }
}
