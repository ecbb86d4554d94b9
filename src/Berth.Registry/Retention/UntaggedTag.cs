namespace Berth.Registry.Retention;

/// <summary>A tag removed (or, in a dry run, that would be): where it pointed and when it had been pushed.</summary>
public sealed record UntaggedTag(string Repository, string Tag, string Digest, string MediaType, DateTime PushedAt);
