namespace Berth.Testing.Images;

/// <summary>
/// containers/image's <c>dir:</c> transport layout: <c>version</c>, <c>manifest.json</c>, child manifests of a list as
/// <c>&lt;hex&gt;.manifest.json</c>, blobs as <c>&lt;hex&gt;</c>. Unlike skopeo's <c>oci:</c> transport it carries Docker
/// schema 2 manifests and manifest lists unchanged, so it is the source and sink for Docker-format round trips.
/// </summary>
public sealed class DirLayout
{
    private const string Version = "Directory Transport Version: 1.1\n";

    public DirLayout(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    /// <summary>The skopeo reference of this directory.</summary>
    public string Reference => $"dir:{Path}";

    public string ManifestPath => System.IO.Path.Combine(Path, "manifest.json");

    /// <summary>Writes <paramref name="fixture"/> (one image or list per directory) into a new directory.</summary>
    public static DirLayout Write(string path, IManifestFixture fixture)
    {
        var layout = new DirLayout(path);
        Directory.CreateDirectory(layout.Path);
        File.WriteAllText(System.IO.Path.Combine(layout.Path, "version"), Version);
        File.WriteAllBytes(layout.ManifestPath, fixture.Manifest.Bytes);
        var children = fixture is IndexFixture index ? index.Images.Select(i => i.Manifest.Digest).ToHashSet() : [];
        foreach (var blob in fixture.AllContent.Skip(1))
        {
            var name = children.Contains(blob.Digest) ? blob.Hex + ".manifest.json" : blob.Hex;
            File.WriteAllBytes(System.IO.Path.Combine(layout.Path, name), blob.Bytes);
        }

        return layout;
    }

    public byte[] ReadManifest(string? childDigest = null) =>
        File.ReadAllBytes(childDigest is null ? ManifestPath : System.IO.Path.Combine(Path, Hex(childDigest) + ".manifest.json"));

    public bool HasBlob(string digest) => File.Exists(System.IO.Path.Combine(Path, Hex(digest)));

    public byte[] ReadBlob(string digest) => File.ReadAllBytes(System.IO.Path.Combine(Path, Hex(digest)));

    /// <summary>Digests of the plain blobs (not manifests) in the directory.</summary>
    public IReadOnlyList<string> BlobDigests() =>
        Directory.EnumerateFiles(Path)
            .Select(System.IO.Path.GetFileName)
            .Where(n => n is { Length: 64 } && n.All(char.IsAsciiHexDigitLower))
            .Select(n => "sha256:" + n)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Digests of the child manifests stored beside a list.</summary>
    public IReadOnlyList<string> ChildManifestDigests() =>
        Directory.EnumerateFiles(Path, "*.manifest.json")
            .Select(f => "sha256:" + System.IO.Path.GetFileName(f)[..^".manifest.json".Length])
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string Hex(string digest) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length == 71 && digest[7..].All(char.IsAsciiHexDigitLower)
            ? digest[7..]
            : throw new ArgumentException($"Not a sha256 digest: {digest}", nameof(digest));
}
