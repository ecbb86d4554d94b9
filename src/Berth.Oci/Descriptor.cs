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
