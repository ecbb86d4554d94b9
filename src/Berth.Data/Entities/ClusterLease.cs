namespace Berth.Data.Entities;

/// <summary>
/// A named lease one node of a cluster holds until <see cref="Until"/>: the jobs that must run once per cluster
/// (purges, prunes) run only on the node holding theirs. Taken and renewed by one conditional upsert.
/// </summary>
public sealed class ClusterLeaseRecord
{
    public required string Name { get; set; }

    /// <summary>The holding node's id (host, process id and a random suffix).</summary>
    public required string Owner { get; set; }

    public DateTime Until { get; set; }
}
