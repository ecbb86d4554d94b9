namespace Berth.Server.Hosting;

/// <summary>
/// The URL the index reaches a separate registry at (<c>--public-url</c>), sent in its signed events. Unset, it is
/// the first of the registry's listen URLs, with a wildcard host (<c>0.0.0.0</c>, <c>[::]</c>, <c>+</c>, <c>*</c>)
/// read as <c>127.0.0.1</c>: right when index and registry share a host, otherwise set it.
/// </summary>
internal static class PublicUrl
{
    public static string Resolve(string? configured, string? listenUrls)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Berth.Index.Events.RegistryUrls.Normalize(configured)
                ?? throw new ConfigurationException($"--public-url '{configured}' is not an absolute http(s) URL");
        }

        var first = (string.IsNullOrWhiteSpace(listenUrls) ? CommandLine.DefaultUrls : listenUrls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var hostStart = schemeEnd + 3;
            var hostEnd = first.AsSpan(hostStart).StartsWith("[")
                ? first.IndexOf(']', hostStart) + 1
                : first.IndexOfAny([':', '/'], hostStart);
            hostEnd = hostEnd <= hostStart ? first.Length : hostEnd;
            if (first[hostStart..hostEnd] is "0.0.0.0" or "[::]" or "+" or "*")
            {
                first = first[..hostStart] + "127.0.0.1" + first[hostEnd..];
            }
        }

        return Berth.Index.Events.RegistryUrls.Normalize(first)
            ?? throw new ConfigurationException($"cannot tell the index where this registry is from --urls '{listenUrls}'; set --public-url");
    }
}
