namespace Berth.Data.Entities;

/// <summary>
/// An upload in progress. Kept in the database (not in process memory) so it survives a restart and can be
/// continued on any node; its bytes live in the storage driver's upload area until verified.
/// </summary>
public sealed class UploadSession
{
    public required string Id { get; set; }

    public required string RepositoryName { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
