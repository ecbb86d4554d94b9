using System.Net;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Audit;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

/// <summary>
/// Slows guessing by the <em>source</em>, never the account for everyone. Failed credential checks are counted in
/// <c>login_throttles</c> (so every node and a restart see them) under two keys: the source address across all
/// accounts (<c>a:&lt;addr&gt;</c>) and the source address with the account tried (<c>u:&lt;addr&gt;|&lt;account&gt;</c>).
/// Past a few free failures each further failure blocks its key for a growing delay (1 s, doubling, at most
/// <see cref="MaxDelay"/>); while blocked, passwords are not checked at all. Personal access tokens are never
/// refused because of password failures (<see cref="AccountService"/> checks them first). Rows are deleted once
/// their window has passed — a few at a time, never the table whole — so a spray of names cannot flush a block.
/// </summary>
internal sealed class LoginThrottle(BerthDbContext db, IAuditLog audit, TimeProvider time) : ILoginThrottle
{
    /// <summary>Failures of one source against one account before the first delay.</summary>
    public const int AccountFreeFailures = 5;

    /// <summary>Failures of one source against any accounts before the first delay (a CI with a stale secret retries).</summary>
    public const int AddressFreeFailures = 30;

    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(5);

    /// <summary>A key is forgotten this long after its window started and its last block ended.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan PurgeInterval = TimeSpan.FromSeconds(10);

    // Asked before every credential check (every /token with credentials): compiled once, not per request.
    private static readonly Func<BerthDbContext, string, string, IAsyncEnumerable<LoginThrottleRecord>> Rows =
        EF.CompileAsyncQuery((BerthDbContext db, string addressKey, string accountKey) =>
            db.LoginThrottles.AsNoTracking().Where(t => t.Key == addressKey || t.Key == accountKey));
    private static long _lastPurgeTicks;

    /// <summary>Whether <paramref name="source"/> must still wait before trying <paramref name="account"/> (any account when null).</summary>
    public async Task<ThrottleCheck> CheckAsync(string? source, string? account, CancellationToken cancellationToken)
    {
        var addressKey = AddressKey(source);
        var accountKey = account is null ? addressKey : AccountKey(source, account);
        var now = time.GetUtcNow().UtcDateTime;
        DateTime? until = null;
        var hasAccountFailures = false;
        await foreach (var row in Rows(db, addressKey, accountKey).WithCancellation(cancellationToken))
        {
            hasAccountFailures |= account is not null && row.Key == accountKey;
            if (row.BlockedUntil > now && (until is null || row.BlockedUntil > until))
            {
                until = row.BlockedUntil;
            }
        }

        return new ThrottleCheck(until is { } u ? u - now : null, hasAccountFailures);
    }

    /// <summary>A wrong password (or unknown account) from <paramref name="source"/>: counts for the address and the address + account.</summary>
    public async Task RecordFailureAsync(string? source, string account, CancellationToken cancellationToken)
    {
        var address = await CountAsync(AddressKey(source), AddressFreeFailures, cancellationToken);
        var pair = await CountAsync(AccountKey(source, account), AccountFreeFailures, cancellationToken);

        // The audit trail grows by at most two rows per window per key, whatever the attempts: a flood from one
        // address is itself slowed by the address key, so it cannot multiply rows either.
        if (pair.Failures == 1)
        {
            audit.Add(account, AuditActions.LoginFailed, account, $"a failed login from {SourceOf(source)}; further failures in the next {Window.TotalMinutes:0} min are counted, not listed");
        }

        if (pair.Failures == AccountFreeFailures + 1)
        {
            audit.Add(account, AuditActions.LoginLocked, account, $"{pair.Failures} failed logins from {SourceOf(source)}; this address must wait {Delay(pair.Failures, AccountFreeFailures).TotalSeconds:0} s, then longer");
        }

        if (address.Failures == AddressFreeFailures + 1)
        {
            audit.Add(null, AuditActions.LoginLocked, null, $"{address.Failures} failed logins from {SourceOf(source)} across accounts; the address must wait before any further login");
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A wrong personal access token: it costs no bcrypt, but a flood of them is still slowed per address.</summary>
    public async Task RecordTokenFailureAsync(string? source, CancellationToken cancellationToken)
    {
        var address = await CountAsync(AddressKey(source), AddressFreeFailures, cancellationToken);
        if (address.Failures == AddressFreeFailures + 1)
        {
            audit.Add(null, AuditActions.LoginLocked, null, $"{address.Failures} failed logins from {SourceOf(source)} across accounts; the address must wait before any further login");
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>The right password: the source's count for that account starts again (the address count stays).</summary>
    public Task RecordSuccessAsync(string? source, string account, CancellationToken cancellationToken)
    {
        var key = AccountKey(source, account);
        return db.LoginThrottles.Where(t => t.Key == key).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The key's source: IPv4 as is, IPv6 by its /64 (one subscriber holds a whole /64, so per address would be no
    /// limit at all), none as "unknown".
    /// </summary>
    internal static string SourceOf(string? address)
    {
        if (address is null || !IPAddress.TryParse(address, out var ip))
        {
            return "unknown";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            return ip.MapToIPv4().ToString();
        }

        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = ip.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return ip.ToString();
    }

    private static string AddressKey(string? source) => "a:" + SourceOf(source);

    // Account names are at most 64 characters; anything longer cannot exist and is hashed so the key fits its column.
    private static string AccountKey(string? source, string account) =>
        $"u:{SourceOf(source)}|{(account.Length <= 64 ? account : "#" + Secrets.Hash(account))}";

    private static TimeSpan Delay(int failures, int free) =>
        failures <= free ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(failures - free - 1, 30)), MaxDelay.TotalSeconds));

    /// <summary>Adds one failure to <paramref name="key"/> (starting a new window if the old one passed) and sets its block.</summary>
    private async Task<(int Failures, DateTime? BlockedUntil)> CountAsync(string key, int free, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var stale = now - Window;
        await db.LoginThrottles.Where(t => t.Key == key && t.WindowStart < stale && (t.BlockedUntil == null || t.BlockedUntil < stale))
            .ExecuteDeleteAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            // One atomic increment, so concurrent failures on several nodes all count.
            if (await db.LoginThrottles.Where(t => t.Key == key).ExecuteUpdateAsync(s => s.SetProperty(t => t.Failures, t => t.Failures + 1), cancellationToken) > 0)
            {
                break;
            }

            var row = new LoginThrottleRecord { Key = key, Failures = 1, WindowStart = now };
            db.LoginThrottles.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                db.Entry(row).State = EntityState.Detached;
                await PurgeAsync(stale, cancellationToken);
                break;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another request inserted the key first: count on its row.
                db.Entry(row).State = EntityState.Detached;
            }
        }

        var failures = await db.LoginThrottles.AsNoTracking().Where(t => t.Key == key).Select(t => t.Failures).FirstOrDefaultAsync(cancellationToken);
        var delay = Delay(failures, free);
        if (delay <= TimeSpan.Zero)
        {
            return (failures, null);
        }

        var until = now + delay;
        await db.LoginThrottles.Where(t => t.Key == key).ExecuteUpdateAsync(s => s.SetProperty(t => t.BlockedUntil, until), cancellationToken);
        return (failures, until);
    }

    /// <summary>Deletes rows whose window has passed, at most once per <see cref="PurgeInterval"/> per process.</summary>
    private async Task PurgeAsync(DateTime stale, CancellationToken cancellationToken)
    {
        var nowTicks = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastPurgeTicks);
        if (nowTicks - last < PurgeInterval.Ticks || Interlocked.CompareExchange(ref _lastPurgeTicks, nowTicks, last) != last)
        {
            return;
        }

        await db.LoginThrottles.Where(t => t.WindowStart < stale && (t.BlockedUntil == null || t.BlockedUntil < stale))
            .ExecuteDeleteAsync(cancellationToken);
    }
}
