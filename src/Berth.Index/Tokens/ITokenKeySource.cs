using Microsoft.IdentityModel.Tokens;

namespace Berth.Index.Tokens;

/// <summary>Where a registry finds the keys that may sign its tokens: this process's own key, or a JWKS file or URL.</summary>
public interface ITokenKeySource
{
    /// <summary>The keys to try for <paramref name="keyId"/>; a source that fetches may refresh when the id is unknown.</summary>
    ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken);
}

/// <summary>All-in-one: the registry trusts exactly the key the index in the same process signs with.</summary>
public sealed class LocalKeySource(SigningKeys keys) : ITokenKeySource
{
    private readonly IReadOnlyList<SecurityKey> _keys = [new ECDsaSecurityKey(keys.SigningKey.ECDsa) { KeyId = keys.KeyId }];

    public ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_keys);
}

/// <summary>
/// Split deployment: keys from the index's JWKS, read from a file or fetched from a URL. An unknown <c>kid</c>
/// triggers a refetch (key rotation), at most every 30 seconds so forged kids cannot hammer the index.
/// </summary>
public sealed class JwksKeySource(string location, HttpClient http, TimeProvider time) : ITokenKeySource
{
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _lastFetch = DateTimeOffset.MinValue;

    public async ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken)
    {
        var keys = _keys;
        if (keys.Count > 0 && (keyId is null || keys.Any(k => k.KeyId == keyId)))
        {
            return keys;
        }

        if (time.GetUtcNow() - _lastFetch < MinRefreshInterval)
        {
            return keys;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() - _lastFetch >= MinRefreshInterval)
            {
                _lastFetch = time.GetUtcNow();
                var json = Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                    ? await http.GetStringAsync(uri, cancellationToken)
                    : await File.ReadAllTextAsync(location, cancellationToken);
                _keys = new JsonWebKeySet(json).GetSigningKeys().ToList();
            }

            return _keys;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ArgumentException or TaskCanceledException)
        {
            return _keys; // index unreachable: keep the keys we had
        }
        finally
        {
            _refresh.Release();
        }
    }
}
