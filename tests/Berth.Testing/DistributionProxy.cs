namespace Berth.Testing;

/// <summary>
/// CNCF Distribution's pull-through cache mode: the <c>proxy:</c> section of its configuration, naming the one upstream
/// (<paramref name="RemoteUrl"/>, e.g. <c>http://127.0.0.1:PORT</c>) and, for a private upstream, the credentials it
/// uses there (Basic, or the token handshake).
/// </summary>
public sealed record DistributionProxy(Uri RemoteUrl, string? Username = null, string? Password = null)
{
    /// <summary>The YAML section, at the top level of config.yml.</summary>
    public string ConfigSection()
    {
        // Distribution wants the URL without a trailing slash (it appends "/v2/...").
        var remote = RemoteUrl.GetLeftPart(UriPartial.Authority);
        var credentials = Username is null ? "" : $"\n  username: {Quote(Username)}\n  password: {Quote(Password ?? "")}";
        return $"proxy:\n  remoteurl: {remote}{credentials}\n";
    }

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
