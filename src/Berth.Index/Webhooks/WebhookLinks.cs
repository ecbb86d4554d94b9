namespace Berth.Index.Webhooks;

/// <summary>
/// Where payloads point: the registry's public base URL (<c>--public-url</c>, else the first listen URL), from which
/// the pull command's host and the repository's page are made.
/// </summary>
public sealed class WebhookLinks(string publicUrl)
{
    public string PublicUrl { get; } = publicUrl.TrimEnd('/');

    /// <summary>The registry host as clients name it in an image reference (<c>host[:port]</c>).</summary>
    public string RegistryHost { get; } = new Uri(publicUrl).Authority;

    public string RepositoryUrl(string repository) => $"{PublicUrl}/r/{repository}";

    public string PullCommand(string repository, string? tag, string? digest) =>
        tag is not null ? $"podman pull {RegistryHost}/{repository}:{tag}"
        : digest is not null ? $"podman pull {RegistryHost}/{repository}@{digest}"
        : $"podman pull {RegistryHost}/{repository}";
}
