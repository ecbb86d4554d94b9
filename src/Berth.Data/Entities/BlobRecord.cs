namespace Berth.Data.Entities;

/// <summary>A blob present in storage at its content address. Global: the same bytes are stored once.</summary>
public sealed class BlobRecord
{
    public required string Digest { get; set; }

    public long Size { get; set; }

    public DateTime CreatedAt { get; set; }
}
