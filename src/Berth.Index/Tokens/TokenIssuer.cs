using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Index.Tokens;

/// <summary>A signed registry access token and its timing, as the token endpoint returns it.</summary>
public sealed record IssuedToken(string Token, int ExpiresIn, DateTimeOffset IssuedAt);

/// <summary>Signs Docker-token-spec JWTs: <c>iss sub aud exp nbf iat jti access[]</c> (+ <c>berth_create[]</c>), ES256 with a <c>kid</c>.</summary>
public sealed class TokenIssuer(SigningKeys keys, IndexOptions options, TimeProvider time)
{
    public const string SiteAdminClaim = "berth_admin";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>
    /// Repository names the token may create (they did not exist when it was issued). Its <c>push</c> on them, and
    /// <c>pull</c>, hold only while the repository is absent or was created by the token's subject; the registry
    /// checks that per request, so a grant on an absent name never carries over to a repository someone else made.
    /// </summary>
    public const string CreateClaim = "berth_create";

    public IssuedToken Issue(string subject, string audience, IReadOnlyList<ResourceScope> access, bool siteAdmin = false, IReadOnlyList<string>? creatable = null)
    {
        var now = time.GetUtcNow();
        var lifetime = Math.Max(60, options.TokenLifetimeSeconds);
        var accessClaim = JsonSerializer.SerializeToElement(
            access.Select(a => new AccessEntry(a.Type, a.Name, a.Actions)).ToList(),
            IndexJson.Default.ListAccessEntry);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.TokenIssuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.AddSeconds(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.SigningKey, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                ["access"] = accessClaim,
            },
        };
        if (creatable is { Count: > 0 })
        {
            descriptor.Claims[CreateClaim] = JsonSerializer.SerializeToElement(creatable.Distinct(StringComparer.Ordinal).ToList(), IndexJson.Default.ListString);
        }

        if (siteAdmin)
        {
            // Lets an in-process registry show an admin the whole catalog; a separate registry ignores it.
            descriptor.Claims[SiteAdminClaim] = true;
        }

        return new IssuedToken(Handler.CreateToken(descriptor), lifetime, now);
    }
}

/// <summary>One entry of the <c>access</c> claim.</summary>
public sealed record AccessEntry(
    [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("actions")] IReadOnlyList<string> Actions);
