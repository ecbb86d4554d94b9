namespace Berth.Data.Events;

/// <summary>The actions a <see cref="RegistryEvent"/> names.</summary>
public static class RegistryActions
{
    public const string Push = "push";
    public const string Delete = "delete";
    public const string Pull = "pull";
}

/// <summary>
/// Something that happened to a repository, in the terms of Distribution's notifications (action, target,
/// actor). The registry writes them to its outbox; the index keeps its records from them; webhooks are built from
/// them. They live here, beside the outbox table, so both sides share the contract without referencing each other.
/// </summary>
/// <param name="Tag">The tag pushed or deleted; null for digest-only operations.</param>
/// <param name="ImageSize">Manifest bytes plus what it references directly (config and layers, or child manifests).</param>
/// <param name="Count">
/// How many times it happened: pulls are counted in memory and written as one event per repository and interval
/// (the registry's <c>PullCounter</c>); 1 for everything else.
/// </param>
/// <param name="Platforms">
/// For a push, the platforms of what was pushed (<c>linux/amd64, linux/arm64/v8</c>; "" for none, such as an
/// artifact), worked out by the registry that holds the manifest and its config, so the index can show them without
/// reading either; null when not known (events written before it was carried, or a registry that does not send it).
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
    long Count = 1,
    string? Platforms = null);
