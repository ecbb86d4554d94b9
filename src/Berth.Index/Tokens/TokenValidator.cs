using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Index.Tokens;

/// <summary>The verified content of a registry token.</summary>
/// <param name="Creatable">
/// Repositories the token was issued to create (absent then): what it says about them holds only while they are
/// absent or created by <paramref name="Subject"/>, which the registry checks per request; <see cref="Allows"/> never
/// answers yes for them on its own.
/// </param>
public sealed record TokenClaims(string Subject, IReadOnlyList<ResourceScope> Access, DateTimeOffset Expires, bool SiteAdmin = false, IReadOnlyList<string>? Creatable = null)
{
    /// <summary>Whether the token grants the action unconditionally (create grants excluded).</summary>
    public bool Allows(string type, string name, string action) =>
        !(type == ResourceScope.Repository && MayCreate(name)) && Grants(type, name, action);

    /// <summary>Whether the <c>access</c> claim lists the action, conditionally or not.</summary>
    public bool Grants(string type, string name, string action) =>
        Access.Any(a => a.Type == type && a.Name == name && (a.Actions.Contains(action) || a.Actions.Contains("*")));

    /// <summary>Whether the token carries an entry for the resource at all, even one granting nothing.</summary>
    public bool Names(string type, string name) => Access.Any(a => a.Type == type && a.Name == name);

    /// <summary>Whether <paramref name="repository"/> was granted as a name to create.</summary>
    public bool MayCreate(string repository) => Creatable?.Contains(repository, StringComparer.Ordinal) == true;
}

/// <summary>Settings a registry checks tokens against.</summary>
public sealed record TokenValidationSettings(string Issuer, string Audience);

/// <summary>
/// Verifies registry tokens: signature by a trusted key found by <c>kid</c>, algorithm ES256 or RS256 only
/// (so <c>none</c> and HS256-keyed-with-a-public-key are refused), issuer, audience, lifetime with 60 s skew.
/// Verified tokens are remembered until they expire: a pull makes dozens of requests with one token.
/// </summary>
public sealed class TokenValidator(ITokenKeySource keys, TokenValidationSettings settings, TimeProvider time)
{
    private const int MaxCached = 10_000;
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly ConcurrentDictionary<string, TokenClaims> _verified = new(StringComparer.Ordinal);

    public async ValueTask<TokenClaims?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_verified.TryGetValue(token, out var cached))
        {
            if (cached.Expires.AddSeconds(60) > now)
            {
                return cached;
            }

            _verified.TryRemove(token, out _);
        }

        if (token.Length > 16 * 1024 || !Handler.CanReadToken(token))
        {
            return null;
        }

        string? keyId;
        try
        {
            keyId = new JsonWebToken(token).Kid;
        }
        catch (ArgumentException)
        {
            return null;
        }

        var candidates = await keys.GetKeysAsync(keyId, cancellationToken);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256],
            IssuerSigningKeys = candidates,
            TryAllIssuerSigningKeys = keyId is null,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(60),
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is not null && (notBefore is null || notBefore.Value - p.ClockSkew <= now.UtcDateTime) && expires.Value + p.ClockSkew > now.UtcDateTime,
        };
        var result = await Handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        var siteAdmin = jwt.TryGetPayloadValue<bool>(TokenIssuer.SiteAdminClaim, out var admin) && admin;
        var (access, creatable) = ReadAccess(jwt);
        var claims = new TokenClaims(jwt.Subject ?? "", access, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), siteAdmin, creatable);
        if (_verified.Count >= MaxCached)
        {
            _verified.Clear();
        }

        _verified[token] = claims;
        return claims;
    }

    private static (List<ResourceScope> Access, List<string> Creatable) ReadAccess(JsonWebToken jwt)
    {
        var list = new List<ResourceScope>();
        var creatable = new List<string>();
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.TryGetProperty(TokenIssuer.CreateClaim, out var create) && create.ValueKind == JsonValueKind.Array)
        {
            creatable.AddRange(create.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!));
        }

        if (!document.RootElement.TryGetProperty("access", out var access) || access.ValueKind != JsonValueKind.Array)
        {
            return (list, creatable);
        }

        foreach (var entry in access.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object &&
                entry.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String &&
                entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String &&
                entry.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array)
            {
                list.Add(new ResourceScope(
                    type.GetString()!,
                    name.GetString()!,
                    actions.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()));
            }
        }

        return (list, creatable);
    }
}
