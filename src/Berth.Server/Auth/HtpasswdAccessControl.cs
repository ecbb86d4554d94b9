using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Berth.Index.Accounts;
using Berth.Index.Audit;

namespace Berth.Server.Auth;

/// <summary>
/// <c>--auth htpasswd</c>: HTTP Basic against an htpasswd file of bcrypt hashes; any valid account may do
/// anything. The file is re-read when it changes. bcrypt is deliberately slow, so a successful check is
/// remembered (by a SHA-256 of the credentials, never the password) until the file changes. Wrong passwords go
/// through the same login throttle as the index's accounts: the guessing source waits (429 with Retry-After), not the user.
/// </summary>
internal sealed partial class HtpasswdAccessControl(string path, ILogger<HtpasswdAccessControl> logger) : IAccessController
{
    private const string Challenge = "Basic realm=\"Berth Registry\",charset=\"UTF-8\"";

    private readonly object _reloadLock = new();
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);
    private Dictionary<string, string> _hashes = new(StringComparer.Ordinal);
    private DateTime _loadedWriteTime = DateTime.MinValue;

    public async ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken)
    {
        if (!BasicCredentials.TryRead(context.Request.Headers.Authorization, out var user, out var password))
        {
            return AccessGrant.Unauthenticated(Challenge);
        }

        var source = context.Connection.RemoteIpAddress?.ToString();
        context.RequestServices.GetRequiredService<AuditContext>().Address = source;
        var throttle = context.RequestServices.GetRequiredService<ILoginThrottle>();
        var check = await throttle.CheckAsync(source, user, cancellationToken);
        if (check.RetryAfter is { } wait)
        {
            return AccessGrant.Throttle(wait);
        }

        if (!Verify(user, password))
        {
            LogFailedLogin(logger, user, source);
            await throttle.RecordFailureAsync(source, user, cancellationToken);
            return AccessGrant.Unauthenticated(Challenge);
        }

        if (check.HasAccountFailures)
        {
            await throttle.RecordSuccessAsync(source, user, cancellationToken);
        }

        return AccessGrant.Allow(user, static (_, _, _) => true);
    }

    public ValueTask<IQueryable<string>?> VisibleRepositoriesAsync(HttpContext context, AccessGrant grant, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IQueryable<string>?>(null);

    private bool Verify(string user, string password)
    {
        var hashes = Current();
        if (!hashes.TryGetValue(user, out var hash))
        {
            return false;
        }

        var key = $"{user}\n{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\n" + password + "\n" + hash)))}";
        if (_verified.ContainsKey(key))
        {
            return true;
        }

        bool valid;
        try
        {
            valid = BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }

        if (valid)
        {
            _verified[key] = true;
        }

        return valid;
    }

    private Dictionary<string, string> Current()
    {
        var writeTime = File.GetLastWriteTimeUtc(path);
        if (writeTime == _loadedWriteTime)
        {
            return _hashes;
        }

        lock (_reloadLock)
        {
            if (writeTime != _loadedWriteTime)
            {
                _hashes = Parse(path);
                _verified.Clear();
                _loadedWriteTime = writeTime;
            }

            return _hashes;
        }
    }

    private static Dictionary<string, string> Parse(string path)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return hashes;
        }

        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || colon <= 0)
            {
                continue;
            }

            var hash = line[(colon + 1)..];
            // Only bcrypt: the other htpasswd formats (MD5-crypt, SHA-1, plain) are too weak to accept.
            if (hash.StartsWith("$2", StringComparison.Ordinal))
            {
                hashes[line[..colon]] = hash;
            }
        }

        return hashes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed Basic login for {User} from {Address}")]
    private static partial void LogFailedLogin(ILogger logger, string user, string? address);
}
