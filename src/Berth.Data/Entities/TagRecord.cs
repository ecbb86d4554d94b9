namespace Berth.Data.Entities;

public sealed class TagRecord
{
    public long RepositoryId { get; set; }

    public required string Name { get; set; }

    public required string ManifestDigest { get; set; }

    public DateTime UpdatedAt { get; set; }
}
