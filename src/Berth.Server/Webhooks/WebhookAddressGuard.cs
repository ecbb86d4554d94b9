using System.Net;
using System.Net.Sockets;

namespace Berth.Server.Webhooks;

/// <summary>
/// The SSRF guard's rule: which addresses a webhook may not reach (loopback, link-local including the cloud metadata
/// service, private, carrier-grade NAT, unspecified, multicast, reserved, and the IPv4-mapped and NAT64 forms of
/// these), unless the administrator's allow-list (<c>--webhook-allow-hosts</c>: host names, addresses or CIDR
/// networks) names the URL's host or the address.
/// </summary>
internal sealed class WebhookAddressGuard
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _networks = [];

    public WebhookAddressGuard(string? allowHosts)
    {
        foreach (var entry in (allowHosts ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                _networks.Add(network);
            }
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
            {
                _networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                _hosts.Add(entry.TrimEnd('.'));
            }
        }
    }

    /// <summary>Null when <paramref name="address"/> may be reached for a URL naming <paramref name="host"/>; otherwise why not.</summary>
    public string? Refusal(string host, IPAddress address)
    {
        if (!IsBlocked(address) || _hosts.Contains(host.Trim('[', ']').TrimEnd('.')))
        {
            return null;
        }

        var unmapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_networks.Any(n => n.Contains(address) || n.Contains(unmapped)))
        {
            return null;
        }

        return host.Trim('[', ']') == unmapped.ToString()
            ? $"{unmapped} is a loopback, link-local, private or otherwise internal address (not on --webhook-allow-hosts)"
            : $"{host} resolves to {unmapped}, a loopback, link-local, private or otherwise internal address (not on --webhook-allow-hosts)";
    }

    public static bool IsBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return b[0] is 0 or 10 or 127 || b[0] >= 224 // this network, private, loopback, multicast, reserved, broadcast
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata (169.254.169.254)
                || (b[0] == 172 && (b[1] & 0xF0) == 16) // private 172.16/12
                || (b[0] == 192 && b[1] == 168) // private
                || (b[0] == 100 && (b[1] & 0xC0) == 64) // carrier-grade NAT 100.64/10
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments 192.0.0/24
                || (b[0] == 198 && (b[1] & 0xFE) == 18); // benchmarking 198.18/15
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback) || address.IsIPv6LinkLocal
            || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (b[0] & 0xFE) == 0xFC) // unique local fc00::/7, which holds the cloud metadata fd00:ec2::254
        {
            return true;
        }

        // NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) forms carry an IPv4 address: judge that.
        var nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
        var compatible = b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
        return (nat64 || compatible) && IsBlocked(new IPAddress(b.AsSpan(12, 4)));
    }
}
