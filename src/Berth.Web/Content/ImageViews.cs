using Berth.Oci;

namespace Berth.Web.Content;

/// <summary>What an image's config says, as the tag page shows it.</summary>
public sealed record ConfigSummary(
    string? Os,
    string? Architecture,
    string? Variant,
    DateTimeOffset? Created,
    string? Author,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Command,
    string? WorkingDir,
    string? User,
    IReadOnlyList<string> ExposedPorts,
    IReadOnlyList<KeyValuePair<string, string>> Labels)
{
    public string Platform => PlatformText.Of(Os, Architecture, Variant);
}

/// <summary>One manifest an index names.</summary>
public sealed record IndexEntry(string Platform, string Digest, string MediaType, long Size, string? ArtifactType);

/// <summary>One layer of an image.</summary>
public sealed record LayerEntry(string Digest, string MediaType, long Size);

/// <summary>A manifest that refers to another (a signature, an SBOM, an attestation).</summary>
public sealed record ReferrerEntry(string Digest, string? ArtifactType, long Size, string? Created);

