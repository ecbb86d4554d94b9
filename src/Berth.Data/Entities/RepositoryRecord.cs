namespace Berth.Data.Entities;

/// <summary>A repository: created by its first push (or by the index), the anchor of tags, manifests and blob links.</summary>
public sealed class RepositoryRecord
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? LastPushedAt { get; set; }
}
