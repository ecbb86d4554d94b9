using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Berth.Data.Entities;

namespace Berth.Server.Webhooks;

/// <summary>What one HTTP attempt came to: a 2xx is success; anything else is retried.</summary>
internal sealed record WebhookAttemptResult(bool Succeeded, int? StatusCode, int DurationMs, string? ResponseExcerpt, string? Error);

/// <summary>
/// POSTs one signed delivery. The connection is made by <see cref="ConnectAsync"/>: it resolves the host itself,
/// refuses if any address is internal (<see cref="WebhookAddressGuard"/>) and connects to the address it checked, so a
/// second resolution cannot swap in another (DNS rebinding). No proxy, no redirects, at most
/// <see cref="WebhookAttempt.MaxResponseExcerpt"/> bytes of the answer read.
/// </summary>
internal sealed class WebhookSender : IDisposable
{
    private static readonly string UserAgent =
        $"Berth-Webhooks/{typeof(WebhookSender).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";

    private readonly WebhookAddressGuard _guard;
    private readonly HttpClient _client;

    public WebhookSender(WebhookAddressGuard guard, TimeSpan timeout)
    {
        _guard = guard;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1), // a host's new address is used (and checked) within a minute
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    public async Task<WebhookAttemptResult> SendAsync(string url, string secret, WebhookDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.MessageId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(secret, delivery.MessageId, timestamp, delivery.Payload));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var excerpt = await ExcerptAsync(response, timeout.Token);
            var status = (int)response.StatusCode;
            var ms = (int)watch.ElapsedMilliseconds;
            if (status is >= 300 and < 400)
            {
                return new(false, status, ms, excerpt, $"redirect not followed (Location {response.Headers.Location?.ToString() ?? "none"})");
            }

            return status is >= 200 and < 300
                ? new(true, status, ms, excerpt, null)
                : new(false, status, ms, excerpt, $"the receiver answered {status}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(false, null, (int)watch.ElapsedMilliseconds, null, $"no answer within {Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return new(false, null, (int)watch.ElapsedMilliseconds, null, Describe(e));
        }
    }

    public void Dispose() => _client.Dispose();

    private static async Task<string?> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[WebhookAttempt.MaxResponseExcerpt];
        var read = 0;
        while (read < buffer.Length && await body.ReadAsync(buffer.AsMemory(read), cancellationToken) is var n && n > 0)
        {
            read += n;
        }

        // Decoding bytes cut mid-character leaves a replacement character at the end, never more characters than bytes.
        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookTargetRefusedException refused)
            {
                return refused.Message;
            }
        }

        var message = e.InnerException is { } cause ? $"{e.Message} ({cause.Message})" : e.Message;
        return message.Length <= WebhookAttempt.MaxError ? message : message[..WebhookAttempt.MaxError];
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new WebhookTargetRefusedException($"{host} has no address");
        }

        // Every address is judged, not just the one tried first: a name with one public and one internal address is refused.
        if (addresses.Select(a => _guard.Refusal(host, a)).FirstOrDefault(r => r is not null) is { } refusal)
        {
            throw new WebhookTargetRefusedException($"refused by the SSRF guard: {refusal}");
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}

/// <summary>The SSRF guard refused the connection; its message goes to the delivery log.</summary>
internal sealed class WebhookTargetRefusedException(string message) : Exception(message);
