using System.Net;
using System.Net.Sockets;
using Berth.Index.Webhooks;

namespace Berth.Server.Webhooks;

/// <summary>
/// The check at create and update time: an http(s) URL whose host is not a literal internal address and does not
/// resolve to one (unless allow-listed). A name that does not resolve now passes: delivery checks again at connect time.
/// </summary>
internal sealed class WebhookUrlGuard(WebhookAddressGuard guard) : IWebhookUrlGuard
{
    public async Task<string?> CheckAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "the URL must be an absolute http or https URL";
        }

        var host = uri.IdnHost;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        return addresses.Select(a => guard.Refusal(host, a)).FirstOrDefault(r => r is not null) is { } refusal
            ? $"webhook URLs may not target internal addresses: {refusal}"
            : null;
    }
}
