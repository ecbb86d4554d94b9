using System.Text.Json;

namespace Berth.Client.Auth;

/// <summary>An access token and when to stop using it.</summary>
internal sealed record AccessToken(string Value, DateTimeOffset ExpiresAt, string? RefreshToken)
{
    /// <summary>Reads a token endpoint answer: <c>token</c> or <c>access_token</c>, <c>expires_in</c> (default 60 s), <c>issued_at</c>.</summary>
    public static AccessToken Parse(ReadOnlySpan<byte> json, DateTimeOffset now)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        var value = String(root, "token") ?? String(root, "access_token")
            ?? throw new InvalidDataException("the token server answered without a token");
        var expiresIn = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var seconds) && seconds > 0
            ? seconds
            : 60;
        var issuedAt = String(root, "issued_at") is { } issued && DateTimeOffset.TryParse(issued, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at <= now ? at : now;
        // Renew a little early so a token never expires between our check and the registry's.
        var lifetime = TimeSpan.FromSeconds(expiresIn);
        var expiresAt = issuedAt + lifetime - TimeSpan.FromSeconds(Math.Min(10, expiresIn / 10.0));
        return new AccessToken(value, expiresAt, String(root, "refresh_token"));
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
