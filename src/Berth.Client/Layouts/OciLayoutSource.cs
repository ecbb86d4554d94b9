using System.Text.Json;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>
/// An image in an OCI image layout (<c>oci:DIR[:TAG]</c>) or an OCI archive (<c>oci-archive:FILE[:TAG]</c>): the
/// index.json entry whose <c>org.opencontainers.image.ref.name</c> is the tag, or the only entry when no tag is named.
/// </summary>
public sealed class OciLayoutSource : IImageSource
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    private readonly ILayoutFiles _files;
    private readonly string? _tag;

    private OciLayoutSource(ILayoutFiles files, string name, string? tag)
    {
        _files = files;
        _tag = tag;
        Name = name;
    }

    public string Name { get; }

    public RepositoryLocation? Repository => null;

    public static OciLayoutSource OpenDirectory(string directory, string? tag)
    {
        if (!File.Exists(Path.Combine(directory, "index.json")))
        {
            throw new FileNotFoundException($"{directory} is not an OCI image layout (no index.json)");
        }

        return new OciLayoutSource(new DirectoryFiles(directory), $"oci:{directory}{(tag is null ? "" : ":" + tag)}", tag);
    }

    public static OciLayoutSource OpenArchive(string file, string? tag)
    {
        var files = new TarFiles(file);
        if (!files.Exists("index.json"))
        {
            files.Dispose();
            throw new InvalidDataException($"{file} is not an OCI archive (no index.json inside)");
        }

        return new OciLayoutSource(files, $"oci-archive:{file}{(tag is null ? "" : ":" + tag)}", tag);
    }

    public Task<ManifestBlob> GetManifestAsync(Digest? digest, CancellationToken cancellationToken)
    {
        var descriptor = digest is { } d ? null : ResolveTop();
        var target = digest ?? descriptor!.Digest;
        var bytes = _files.ReadAll(BlobPath(target));
        var actual = Digest.Compute(target.Algorithm, bytes);
        if (actual != target)
        {
            throw new RegistryException(RegistryErrorKind.DigestMismatch, $"{Name}: manifest {target} hashes to {actual}");
        }

        var mediaType = descriptor?.MediaType ?? MediaTypeOf(bytes);
        return Task.FromResult(new ManifestBlob(bytes, mediaType, target));
    }

    public Task<Stream> OpenBlobAsync(Descriptor blob, long offset, CancellationToken cancellationToken)
    {
        var path = BlobPath(blob.Digest);
        return _files.Exists(path)
            ? Task.FromResult(_files.Open(path, offset))
            : throw new FileNotFoundException($"{Name} is missing blob {blob.Digest}");
    }

    public ValueTask DisposeAsync()
    {
        _files.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static string BlobPath(Digest digest) => $"blobs/{digest.AlgorithmName}/{digest.Encoded}";

    private Descriptor ResolveTop()
    {
        using var index = JsonDocument.Parse(_files.ReadAll("index.json"));
        var entries = new List<(Descriptor Descriptor, string? Tag)>();
        if (index.RootElement.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in manifests.EnumerateArray())
            {
                if (!Digest.TryParse(m.GetProperty("digest").GetString(), out var digest))
                {
                    continue;
                }

                var mediaType = m.TryGetProperty("mediaType", out var t) ? t.GetString() ?? MediaTypes.OciManifest : MediaTypes.OciManifest;
                var tag = m.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object &&
                    a.TryGetProperty(RefNameAnnotation, out var n) ? n.GetString() : null;
                entries.Add((new Descriptor(mediaType, digest, m.TryGetProperty("size", out var s) ? s.GetInt64() : 0), tag));
            }
        }

        if (_tag is not null)
        {
            return entries.FirstOrDefault(e => e.Tag == _tag).Descriptor
                ?? throw new FileNotFoundException(
                    $"{Name}: no image tagged '{_tag}' (tags: {string.Join(", ", entries.Select(e => e.Tag ?? "(untagged)"))})");
        }

        return entries.Count switch
        {
            1 => entries[0].Descriptor,
            0 => throw new FileNotFoundException($"{Name} holds no image"),
            _ => throw new InvalidOperationException(
                $"{Name} holds {entries.Count} images; name one: {string.Join(", ", entries.Select(e => e.Tag ?? e.Descriptor.Digest.ToString()))}"),
        };
    }

    private static string MediaTypeOf(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.TryGetProperty("mediaType", out var m) && m.GetString() is { } type ? type
            : document.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
    }
}
