namespace Berth.Client.Transfer;

/// <summary>A repository in a registry.</summary>
public sealed record RepositoryLocation(string Registry, string Repository);
