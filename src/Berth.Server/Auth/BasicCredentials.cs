using System.Net.Http.Headers;
using System.Text;

namespace Berth.Server.Auth;

/// <summary>Reads HTTP Basic credentials, refusing oversized or malformed headers before decoding them.</summary>
internal static class BasicCredentials
{
    private const int MaxEncodedLength = 4096;

    public static bool TryRead(string? header, out string user, out string secret)
    {
        user = secret = "";
        if (!AuthenticationHeaderValue.TryParse(header, out var value) ||
            !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) ||
            value.Parameter is null || value.Parameter.Length > MaxEncodedLength)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[MaxEncodedLength];
        if (!Convert.TryFromBase64String(value.Parameter, decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        user = text[..colon];
        secret = text[(colon + 1)..];
        return true;
    }
}
