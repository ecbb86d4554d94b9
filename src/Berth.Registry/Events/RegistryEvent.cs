namespace Berth.Registry.Events;

public static class RegistryActions
{
    public const string Push = "push";
    public const string Delete = "delete";
    public const string Pull = "pull";
}

/// <summary>
/// Something that happened to a repository, in the terms of Distribution's notifications (action, target,
/// actor). The index keeps its records from these; webhooks are built from them.
/// </summary>
/// <param name="Tag">The tag pushed or deleted; null for digest-only operations.</param>
/// <param name="ImageSize">Manifest bytes plus what it references directly (config and layers, or child manifests).</param>
/// <param name="Count">
/// How many times it happened: pulls are counted in memory and written as one event per repository and interval
/// (<see cref="PullCounter"/>); 1 for everything else.
/// </param>
public sealed record RegistryEvent(
    string Id,
    string Action,
    string Repository,
    string? Tag,
    string Digest,
    string MediaType,
    long Size,
    long ImageSize,
    string? Actor,
    DateTime Timestamp,
    long Count = 1);
