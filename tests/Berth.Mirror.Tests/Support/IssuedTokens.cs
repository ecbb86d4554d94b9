using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Mirror.Tests.Support;

/// <summary>
/// Registry tokens signed with a server's own key (from its data directory), as its token service would have issued them
/// earlier under another configuration: what a client may still hold after the server restarted with a narrower one.
/// </summary>
public static class IssuedTokens
{
    /// <summary>ES256 over the Docker token claims, naming <paramref name="kid"/> (taken from a token the server issued).</summary>
    public static string Sign(RegistryServer server, string kid, string subject, string repository, params string[] actions)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(server.DataDir, "keys", "token-signing.pem")));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = kid };
        var claims = new JsonObject
        {
            ["iss"] = "berth-index",
            ["sub"] = subject,
            ["aud"] = "berth-registry",
            ["exp"] = now + 300,
            ["nbf"] = now,
            ["iat"] = now,
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["access"] = new JsonArray(new JsonObject
            {
                ["type"] = "repository",
                ["name"] = repository,
                ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode)a)]),
            }),
        };
        var signed = $"{Encode(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        // .NET signs ECDSA as r‖s (IEEE P1363), which is JWS's ES256 encoding.
        return $"{signed}.{Encode(key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256))}";
    }

    /// <summary>The <c>kid</c> in a token's header.</summary>
    public static string KeyId(string token) => (string)JsonNode.Parse(Decode(token.Split('.')[0]))!["kid"]!;

    /// <summary>A token's payload.</summary>
    public static JsonNode Payload(string token) => JsonNode.Parse(Decode(token.Split('.')[1]))!;

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Decode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
