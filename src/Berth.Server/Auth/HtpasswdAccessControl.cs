using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Server.Auth;

/// <summary>
/// <c>--auth htpasswd</c>: HTTP Basic against an htpasswd file of bcrypt hashes; any valid account may do
/// anything. The file is re-read when it changes. bcrypt is deliberately slow, so a successful check is
/// remembered (by a SHA-256 of the credentials, never the password) until the file changes.
/// </summary>
internal sealed partial class HtpasswdAccessControl(string path, ILogger<HtpasswdAccessControl> logger) : IAccessController
{
    private const string Challenge = "Basic realm=\"Berth Registry\",charset=\"UTF-8\"";

    private readonly object _reloadLock = new();
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);
    private Dictionary<string, string> _hashes = new(StringComparer.Ordinal);
    private DateTime _loadedWriteTime = DateTime.MinValue;

    public ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken)
    {
        if (!BasicCredentials.TryRead(context.Request.Headers.Authorization, out var user, out var password))
        {
            return ValueTask.FromResult(AccessGrant.Unauthenticated(Challenge));
        }

        if (!Verify(user, password))
        {
            LogFailedLogin(logger, user, context.Connection.RemoteIpAddress?.ToString());
            return ValueTask.FromResult(AccessGrant.Unauthenticated(Challenge));
        }

        return ValueTask.FromResult(AccessGrant.Allow(user, static (_, _, _) => true));
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
