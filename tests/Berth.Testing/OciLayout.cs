using System.Text.Json.Nodes;

namespace Berth.Testing.Images;

/// <summary>One entry of an OCI layout's index.json.</summary>
public sealed record LayoutEntry(string MediaType, string Digest, long Size, string? Tag);

/// <summary>
/// An OCI image layout directory (oci-layout, index.json, blobs/sha256/…): written from fixtures so that
/// skopeo/podman/umoci can read it (<c>oci:PATH:TAG</c>), and read back after a client wrote one.
/// </summary>
public sealed class OciLayout
{
    private const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public OciLayout(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    public string IndexPath => System.IO.Path.Combine(Path, "index.json");

    /// <summary>The skopeo/podman reference of a tag in this layout.</summary>
    public string Reference(string tag) => $"oci:{Path}:{tag}";

    /// <summary>Creates an empty layout (or opens an existing one) at <paramref name="path"/>.</summary>
    public static OciLayout Create(string path)
    {
        var layout = new OciLayout(path);
        Directory.CreateDirectory(System.IO.Path.Combine(layout.Path, "blobs", "sha256"));
        File.WriteAllText(System.IO.Path.Combine(layout.Path, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        if (!File.Exists(layout.IndexPath))
        {
            layout.WriteIndex([]);
        }

        return layout;
    }

    /// <summary>Writes every blob of <paramref name="fixture"/> and lists its manifest in index.json under <paramref name="tag"/>.</summary>
    public OciLayout Add(IManifestFixture fixture, string? tag)
    {
        foreach (var blob in fixture.AllContent)
        {
            WriteBlob(blob);
        }

        var entries = ReadIndex().Where(e => tag is null || e.Tag != tag).ToList();
        entries.Add(new LayoutEntry(fixture.Manifest.MediaType, fixture.Manifest.Digest, fixture.Manifest.Size, tag));
        WriteIndex(entries);
        return this;
    }

    public void WriteBlob(Blob blob)
    {
        var path = BlobPath(blob.Digest);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, blob.Bytes);
        }
    }

    public IReadOnlyList<LayoutEntry> ReadIndex()
    {
        var index = JsonNode.Parse(File.ReadAllBytes(IndexPath))!;
        return (index["manifests"]?.AsArray() ?? [])
            .Select(m => new LayoutEntry(
                (string)m!["mediaType"]!,
                (string)m["digest"]!,
                (long)m["size"]!,
                (string?)m["annotations"]?[RefNameAnnotation]))
            .ToList();
    }

    /// <summary>The index.json entry for <paramref name="tag"/>.</summary>
    public LayoutEntry Resolve(string tag) =>
        ReadIndex().SingleOrDefault(e => e.Tag == tag)
        ?? throw new KeyNotFoundException($"No tag '{tag}' in {IndexPath}: {File.ReadAllText(IndexPath)}");

    public string BlobPath(string digest)
    {
        var parts = digest.Split(':', 2);
        if (parts.Length != 2 || parts[0] != "sha256" || parts[1].Length != 64 || !parts[1].All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"Not a sha256 digest: {digest}", nameof(digest));
        }

        return System.IO.Path.Combine(Path, "blobs", "sha256", parts[1]);
    }

    public bool HasBlob(string digest) => File.Exists(BlobPath(digest));

    /// <summary>Reads a blob and checks that its content matches its name.</summary>
    public byte[] ReadBlob(string digest)
    {
        var bytes = File.ReadAllBytes(BlobPath(digest));
        var actual = Blob.Sha256Digest(bytes);
        return actual == digest ? bytes : throw new InvalidDataException($"Blob {digest} in {Path} hashes to {actual}");
    }

    /// <summary>All blob digests present in the layout.</summary>
    public IReadOnlyList<string> BlobDigests() =>
        Directory.EnumerateFiles(System.IO.Path.Combine(Path, "blobs", "sha256"))
            .Select(f => "sha256:" + System.IO.Path.GetFileName(f))
            .Order(StringComparer.Ordinal)
            .ToList();

    private void WriteIndex(IEnumerable<LayoutEntry> entries)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray([.. entries.Select(e =>
            {
                var descriptor = new JsonObject { ["mediaType"] = e.MediaType, ["digest"] = e.Digest, ["size"] = e.Size };
                if (e.Tag is not null)
                {
                    descriptor["annotations"] = new JsonObject { [RefNameAnnotation] = e.Tag };
                }

                return (JsonNode)descriptor;
            })]),
        };
        File.WriteAllBytes(IndexPath, ImageFactory.Json(index));
    }
}
