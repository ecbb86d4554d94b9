using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Berth.Server.Hosting;

/// <summary>
/// <c>--trusted-proxies CIDR[,CIDR…]</c>: the load balancers whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c>
/// are believed, so the client address (login throttle, rate limits, audit) and the scheme and host (the token realm)
/// are the client's, not the proxy's. Unset, the headers are ignored: anyone could send them.
/// </summary>
internal static class TrustedProxies
{
    public static IReadOnlyList<IPNetwork> Parse(string? configured)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (configured ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                throw new ConfigurationException($"--trusted-proxies: '{entry}' is neither an address nor a CIDR network");
            }
        }

        return networks;
    }

    /// <summary>Honours the forwarded headers of requests from <paramref name="networks"/>, first in the pipeline.</summary>
    public static void UseTrustedProxies(this WebApplication app, IReadOnlyList<IPNetwork> networks)
    {
        if (networks.Count == 0)
        {
            return;
        }

        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            // Walk back through every trusted hop (proxy chains), stopping at the first address not trusted.
            ForwardLimit = null,
        };

        // The defaults trust loopback; only what the operator named is trusted.
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        foreach (var network in networks)
        {
            forwarded.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(forwarded);
    }
}
