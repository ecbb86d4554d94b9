using System.Security.Cryptography;

namespace Berth.Index.Webhooks;

/// <summary>Signing secrets in the Standard Webhooks form: <c>whsec_</c> + base64 of a random 32-byte key.</summary>
public static class WebhookSecrets
{
    public const string Prefix = "whsec_";

    private const int KeyBytes = 32;

    public static string Create() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));
}
