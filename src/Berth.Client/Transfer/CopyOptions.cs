namespace Berth.Client.Transfer;

/// <summary>What to copy and how hard to push.</summary>
public sealed record CopyOptions
{
    /// <summary>The platform to pick from an index; null: this machine's (linux/amd64 on x64).</summary>
    public PlatformSpec? Platform { get; init; }

    /// <summary>Copy an index with every image it lists.</summary>
    public bool AllPlatforms { get; init; }

    /// <summary>Blobs in flight at once.</summary>
    public int Parallelism { get; init; } = 6;
}
