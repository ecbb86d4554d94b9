namespace Berth.Oci;

/// <summary>What a registry needs to know of a manifest or index it stores: its type and what it points at.</summary>
public sealed record ManifestDocument(
    string MediaType,
    string? ArtifactType,
    Descriptor? Config,
    IReadOnlyList<Descriptor> Layers,
    IReadOnlyList<Descriptor> Manifests,
    Descriptor? Subject,
    IReadOnlyDictionary<string, string>? Annotations)
{
    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>Blobs that must already be in the repository before the manifest is accepted.</summary>
    public IEnumerable<Descriptor> RequiredBlobs
    {
        get
        {
            if (Config is not null)
            {
                yield return Config;
            }

            foreach (var layer in Layers)
            {
                if (!MediaTypes.IsNonDistributable(layer.MediaType))
                {
                    yield return layer;
                }
            }
        }
    }

    /// <summary>The artifact type a referrers listing shows: <c>artifactType</c>, else the config's media type (image-spec rule).</summary>
    public string? EffectiveArtifactType => ArtifactType ?? (IsIndex ? null : Config?.MediaType);
}
