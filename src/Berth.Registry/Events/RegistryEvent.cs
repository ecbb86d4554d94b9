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
    DateTime Timestamp);

/// <summary>Where the registry sends its events: the index in this process, an index over HTTP, or nowhere.</summary>
public interface IRegistryEventSink
{
    ValueTask PublishAsync(RegistryEvent registryEvent, CancellationToken cancellationToken);
}

/// <summary>A registry without an index: events go nowhere, without a branch at every call site.</summary>
public sealed class NullRegistryEventSink : IRegistryEventSink
{
    public ValueTask PublishAsync(RegistryEvent registryEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
