using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Security.Tests.Support;

/// <summary>One <c>access</c> entry of a token.</summary>
public sealed record AccessEntry(string Type, string Name, IReadOnlyList<string> Actions)
{
    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";
}

/// <summary>What <c>/token</c> answered.</summary>
public sealed record TokenAnswer(HttpStatusCode Status, string Body, string? Token, string? RefreshToken, string? Scope)
{
    /// <summary>
    /// What the issued token grants: the entries of its <c>access</c> claim that allow something (empty when no
    /// token). Refused repositories are named with no actions in the claim; see <see cref="Entries"/>.
    /// </summary>
    public IReadOnlyList<AccessEntry> Access => Entries.Where(a => a.Actions.Count > 0).ToList();

    /// <summary>Every entry of the token's <c>access</c> claim, including those that grant nothing.</summary>
    public IReadOnlyList<AccessEntry> Entries => Token is null ? [] : Jwt.Access(Token);

    /// <summary>The repository names the token was granted to create (its <c>berth_create</c> claim).</summary>
    public IReadOnlyList<string> Creatable =>
        Token is null ? [] : (Jwt.Payload(Token)["berth_create"]?.AsArray() ?? []).Select(n => (string)n!).ToList();

    /// <summary>The granted actions on one repository (empty when not granted).</summary>
    public IReadOnlyList<string> ActionsOn(string repository) =>
        Access.Where(a => a.Type == "repository" && a.Name == repository).SelectMany(a => a.Actions).Order(StringComparer.Ordinal).ToList();

    public static async Task<TokenAnswer> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        string? token = null, refresh = null, scope = null;
        if (response.IsSuccessStatusCode)
        {
            var json = JsonNode.Parse(body)!;
            token = (string?)json["token"] ?? (string?)json["access_token"];
            refresh = (string?)json["refresh_token"];
            scope = (string?)json["scope"];
        }

        return new TokenAnswer(response.StatusCode, body, token, refresh, scope);
    }
}

/// <summary>Reads and makes JWTs by hand: what a forger would do.</summary>
public static class Jwt
{
    public static JsonNode Header(string token) => JsonNode.Parse(Base64UrlEncoder.Decode(token.Split('.')[0]))!;

    public static JsonNode Payload(string token) => JsonNode.Parse(Base64UrlEncoder.Decode(token.Split('.')[1]))!;

    public static IReadOnlyList<AccessEntry> Access(string token) =>
        (Payload(token)["access"]?.AsArray() ?? [])
            .Select(a => new AccessEntry((string)a!["type"]!, (string)a["name"]!, a["actions"]!.AsArray().Select(x => (string)x!).ToList()))
            .ToList();

    /// <summary>The claims a genuine Berth token carries, for a subject and access list, valid now for five minutes.</summary>
    public static JsonObject Claims(string subject, IEnumerable<AccessEntry> access, string issuer = "berth-index", string audience = Site.Service, DateTimeOffset? now = null)
    {
        var at = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = subject,
            ["aud"] = audience,
            ["exp"] = at + 300,
            ["nbf"] = at,
            ["iat"] = at,
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["access"] = new JsonArray([.. access.Select(a => (JsonNode)new JsonObject
            {
                ["type"] = a.Type,
                ["name"] = a.Name,
                ["actions"] = new JsonArray([.. a.Actions.Select(x => (JsonNode)x)]),
            })]),
        };
    }

    public static AccessEntry Repository(string name, params string[] actions) => new("repository", name, actions);

    /// <summary>Signs <paramref name="claims"/> with <paramref name="credentials"/> exactly as given (no default times added).</summary>
    public static string Sign(JsonObject claims, SigningCredentials credentials)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(claims.ToJsonString(), credentials);
    }

    /// <summary>ES256 with <paramref name="key"/>, naming <paramref name="kid"/> in the header (none when null).</summary>
    public static string SignEs256(JsonObject claims, ECDsa key, string? kid) =>
        Sign(claims, new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256));

    /// <summary>HS256 keyed with <paramref name="secret"/> — the classic attack when a verifier takes the key type from the token.</summary>
    public static string SignHs256(JsonObject claims, byte[] secret, string? kid) =>
        Sign(claims, new SigningCredentials(new SymmetricSecurityKey(secret) { KeyId = kid }, SecurityAlgorithms.HmacSha256));

    /// <summary>An unsigned token: <c>{"alg":"none"}</c>, empty signature.</summary>
    public static string Unsigned(JsonObject claims, string? kid, string alg = "none")
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        return $"{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.";
    }
}
