namespace Berth.Oci;

/// <summary>An OCI content descriptor, reduced to what a registry acts on.</summary>
public sealed record Descriptor(
    string MediaType,
    Digest Digest,
    long Size,
    string? ArtifactType = null,
    IReadOnlyDictionary<string, string>? Annotations = null,
    Platform? Platform = null);

public sealed record Platform(string Architecture, string Os, string? Variant = null);

/// <summary>A platform as people write it: <c>linux/arm64/v8</c>; a list of them joined with <see cref="Separator"/>.</summary>
public static class PlatformText
{
    public const string Separator = ", ";

    public static string Of(string? os, string? architecture, string? variant) =>
        string.IsNullOrEmpty(variant) ? $"{os ?? "?"}/{architecture ?? "?"}" : $"{os ?? "?"}/{architecture ?? "?"}/{variant}";
}
