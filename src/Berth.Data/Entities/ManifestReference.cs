namespace Berth.Data.Entities;

/// <summary>An edge from a manifest to a blob (config, layer) or child manifest it names; garbage collection walks these.</summary>
public sealed class ManifestReference
{
    public long ManifestId { get; set; }

    public required string Digest { get; set; }

    public bool IsManifest { get; set; }

    /// <summary>Set instead of <see cref="ManifestId"/> when the manifest is saved in the same call (its id is not known yet).</summary>
    public ManifestRecord? Manifest { get; set; }
}
