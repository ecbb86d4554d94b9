using System.Diagnostics.CodeAnalysis;

namespace Berth.Client.References;

/// <summary>Where an image is, in skopeo's transport syntax.</summary>
public enum LocationKind
{
    /// <summary><c>HOST[:PORT]/REPO[:TAG|@DIGEST]</c> (or <c>docker://…</c>).</summary>
    Registry,

    /// <summary><c>oci:DIR[:TAG]</c>.</summary>
    OciLayout,

    /// <summary><c>oci-archive:FILE[:TAG]</c>.</summary>
    OciArchive,

    /// <summary><c>docker-archive:FILE[:NAME[:TAG]]</c>.</summary>
    DockerArchive,
}

/// <summary>A parsed image location: a registry reference, or a local path with an optional tag/name.</summary>
public sealed record ImageLocation(LocationKind Kind, ImageReference? Registry, string? Path, string? Tag)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out ImageLocation? location, [NotNullWhen(false)] out string? error)
    {
        location = null;
        if (Strip(text, "oci:") is { } oci)
        {
            var (path, tag) = SplitTag(oci);
            location = new ImageLocation(LocationKind.OciLayout, null, path, tag);
        }
        else if (Strip(text, "oci-archive:") is { } ociArchive)
        {
            var (path, tag) = SplitTag(ociArchive);
            location = new ImageLocation(LocationKind.OciArchive, null, path, tag);
        }
        else if (Strip(text, "docker-archive:") is { } dockerArchive)
        {
            // FILE[:NAME:TAG] — the name is a registry reference and may itself hold colons (a port).
            var colon = dockerArchive.IndexOf(':', StringComparison.Ordinal);
            location = colon < 0
                ? new ImageLocation(LocationKind.DockerArchive, null, dockerArchive, null)
                : new ImageLocation(LocationKind.DockerArchive, null, dockerArchive[..colon], dockerArchive[(colon + 1)..]);
        }
        else if (text.StartsWith("dir:", StringComparison.Ordinal) || text.StartsWith("containers-storage:", StringComparison.Ordinal) ||
                 text.StartsWith("docker-daemon:", StringComparison.Ordinal))
        {
            error = $"'{text[..text.IndexOf(':', StringComparison.Ordinal)]}:' is not a transport berth speaks; use oci:, oci-archive:, docker-archive: or a registry reference";
            return false;
        }
        else if (ImageReference.TryParse(text, out var reference, out error))
        {
            location = new ImageLocation(LocationKind.Registry, reference, null, null);
        }
        else
        {
            return false;
        }

        if (location.Kind != LocationKind.Registry && string.IsNullOrEmpty(location.Path))
        {
            error = $"'{text}' names no path";
            location = null;
            return false;
        }

        error = null;
        return true;
    }

    public override string ToString() => Kind switch
    {
        LocationKind.Registry => Registry!.ToString(),
        LocationKind.OciLayout => $"oci:{Path}{(Tag is null ? "" : ":" + Tag)}",
        LocationKind.OciArchive => $"oci-archive:{Path}{(Tag is null ? "" : ":" + Tag)}",
        _ => $"docker-archive:{Path}{(Tag is null ? "" : ":" + Tag)}",
    };

    private static string? Strip(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : null;

    /// <summary>The tag is what follows the last colon, when that looks like a tag (paths may hold colons too).</summary>
    private static (string Path, string? Tag) SplitTag(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && colon < text.Length - 1)
        {
            var tag = text[(colon + 1)..];
            if (!tag.Contains('/', StringComparison.Ordinal) && Oci.Tag.IsValid(tag))
            {
                return (text[..colon], tag);
            }
        }

        return (text.TrimEnd(':'), null);
    }
}
