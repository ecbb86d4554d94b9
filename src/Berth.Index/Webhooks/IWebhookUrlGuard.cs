namespace Berth.Index.Webhooks;

/// <summary>
/// Whether a webhook may target a URL (the SSRF guard's check at create and update time; delivery checks again, at
/// connect time, on the address it connects to).
/// </summary>
public interface IWebhookUrlGuard
{
    /// <summary>Null when allowed; otherwise why not, for a 400 answer.</summary>
    Task<string?> CheckAsync(string url, CancellationToken cancellationToken);
}
