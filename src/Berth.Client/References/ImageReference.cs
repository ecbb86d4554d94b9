using System.Diagnostics.CodeAnalysis;
using System.Net;
using Berth.Oci;

namespace Berth.Client.References;

/// <summary>
/// An image in a registry: <c>HOST[:PORT]/REPO[:TAG][@DIGEST]</c>. The host is always named (there is no default
/// registry): the first path component is a host when it has a dot or a colon or is <c>localhost</c>, as docker decides.
/// </summary>
public sealed record ImageReference(string Registry, string Repository, string? Tag, Digest? Digest)
{
    public const string DefaultTag = "latest";

    /// <summary>What goes after <c>/manifests/</c>: the digest when pinned, else the tag (<c>latest</c> when none).</summary>
    public string Reference => Digest?.ToString() ?? Tag ?? DefaultTag;

    /// <summary>The tag to store under at a destination: the named one, else <c>latest</c> unless a digest pins it.</summary>
    public string? TagOrDefault => Tag ?? (Digest is null ? DefaultTag : null);

    /// <summary>Loopback registries speak plain HTTP unless told otherwise, as docker treats them.</summary>
    public bool IsLoopback => IsLoopbackHost(Registry);

    public ImageReference WithTag(string? tag) => this with { Tag = tag, Digest = null };

    public ImageReference WithDigest(Digest digest) => this with { Digest = digest };

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var error) ? reference : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an image reference is empty";
            return false;
        }

        if (text.StartsWith("docker://", StringComparison.Ordinal))
        {
            text = text["docker://".Length..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !LooksLikeHost(text[..slash]))
        {
            error = $"'{text}' names no registry: write HOST[:PORT]/REPO[:TAG|@DIGEST], e.g. 127.0.0.1:5000/team/app:v1";
            return false;
        }

        var registry = text[..slash];
        var rest = text[(slash + 1)..];
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Oci.Digest.TryParse(rest[(at + 1)..], out var parsed))
            {
                error = $"'{rest[(at + 1)..]}' is not a valid digest (sha256:<64 hex> or sha512:<128 hex>)";
                return false;
            }

            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0 && rest.IndexOf('/', colon) < 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!Oci.Tag.IsValid(tag))
            {
                error = $"'{tag}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})";
                return false;
            }
        }

        if (!RepositoryName.IsValid(rest))
        {
            error = $"'{rest}' is not a valid repository name (lowercase letters, digits and . _ - separators, / between components)";
            return false;
        }

        reference = new ImageReference(registry, rest, tag, digest);
        error = null;
        return true;
    }

    public static bool IsLoopbackHost(string registry)
    {
        var host = HostOf(registry);
        return host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    public override string ToString()
    {
        var text = $"{Registry}/{Repository}";
        if (Tag is not null)
        {
            text += ":" + Tag;
        }

        return Digest is { } digest ? $"{text}@{digest}" : text;
    }

    private static bool LooksLikeHost(string component) =>
        (component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) ||
         component == "localhost" || component.StartsWith('[')) &&
        (char.IsAsciiLetterOrDigit(component[0]) || component[0] == '[') &&
        component.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']' or '_');

    private static string HostOf(string registry)
    {
        if (registry.StartsWith('['))
        {
            var close = registry.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? registry[1..close] : registry;
        }

        var colon = registry.LastIndexOf(':');
        return colon > 0 ? registry[..colon] : registry;
    }
}
