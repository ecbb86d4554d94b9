using System.Security.Cryptography;

namespace Berth.Index.Webhooks;

/// <summary>Standard Webhooks message ids (<c>webhook-id</c>): <c>msg_</c> and 20 random bytes, URL-safe base64 without padding.</summary>
public static class WebhookMessageIds
{
    public static string New() =>
        "msg_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(20)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
