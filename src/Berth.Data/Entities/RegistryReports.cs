namespace Berth.Data.Entities;

/// <summary>In a split deployment, the index's record that a registry holds content of a repository (it reported a push).</summary>
public sealed class RegistryRepository
{
    /// <summary>The registry's base URL, as it reports it in its signed events.</summary>
    public required string RegistryUrl { get; set; }

    public required string Repository { get; set; }

    public DateTime LastReportedAt { get; set; }
}

/// <summary>A repository delete the index still owes one registry: retried with backoff until the registry confirms.</summary>
public sealed class RegistryDeletion
{
    public long Id { get; set; }

    public required string RegistryUrl { get; set; }

    public required string Repository { get; set; }

    public DateTime CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTime NextAttemptAt { get; set; }

    public string? LastError { get; set; }
}
