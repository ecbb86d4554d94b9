using System.Formats.Tar;
using Berth.Client.References;

namespace Berth.Cli;

/// <summary>
/// Turns command-line words into image locations: skopeo's transports (<c>oci:</c>, <c>oci-archive:</c>,
/// <c>docker-archive:</c>, <c>docker://</c>) or a registry reference; a bare local path is recognised by what is there.
/// </summary>
internal static class Locations
{
    public static ImageReference Registry(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new UsageException(error);

    public static ImageLocation Source(string text)
    {
        if (!HasTransport(text) && (Directory.Exists(text) || File.Exists(text)))
        {
            return new ImageLocation(DetectLocal(text), null, text, null);
        }

        return Parse(text);
    }

    public static ImageLocation Destination(string text)
    {
        if (!HasTransport(text) && (IsPathLike(text) || !ImageReference.TryParse(text, out _, out _)))
        {
            var kind = text.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? LocationKind.DockerArchive : LocationKind.OciLayout;
            return new ImageLocation(kind, null, text, null);
        }

        return Parse(text);
    }

    private static ImageLocation Parse(string text) =>
        ImageLocation.TryParse(text, out var location, out var error) ? location : throw new UsageException(error);

    private static bool HasTransport(string text) =>
        text.StartsWith("oci:", StringComparison.Ordinal) || text.StartsWith("oci-archive:", StringComparison.Ordinal) ||
        text.StartsWith("docker-archive:", StringComparison.Ordinal) || text.StartsWith("docker://", StringComparison.Ordinal);

    private static bool IsPathLike(string text) =>
        text.StartsWith('/') || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal) || text is "." or "..";

    /// <summary>A directory with index.json is an OCI layout; a tarball is an OCI archive if it holds index.json, else a docker-archive.</summary>
    private static LocationKind DetectLocal(string path)
    {
        if (Directory.Exists(path))
        {
            return File.Exists(Path.Combine(path, "index.json"))
                ? LocationKind.OciLayout
                : throw new UsageException($"{path} is a directory but not an OCI layout (no index.json); to pack it as a new image use --from-dir");
        }

        using var stream = File.OpenRead(path);
        using var reader = new TarReader(stream);
        var hasManifest = false;
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/');
            if (name == "index.json" || name == "oci-layout")
            {
                return LocationKind.OciArchive;
            }

            hasManifest |= name == "manifest.json";
        }

        return hasManifest ? LocationKind.DockerArchive : throw new UsageException($"{path} is neither an OCI archive nor a docker-archive");
    }
}
