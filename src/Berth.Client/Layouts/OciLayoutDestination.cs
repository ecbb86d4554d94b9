using System.Text.Json.Nodes;
using Berth.Client.Content;
using Berth.Client.Http;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>
/// Writes an OCI image layout (<c>oci:DIR[:TAG]</c>) readable by skopeo, podman and umoci. Blobs land under a partial
/// name first and are renamed once verified; an interrupted pull leaves the partial files, and the next pull resumes
/// them. index.json is rewritten last, so the tag never points at missing content.
/// </summary>
public sealed class OciLayoutDestination(string directory, string? tag, RetryPolicy retry) : IImageDestination
{
    private const string PartialDirectory = ".berth-partial";
    private ManifestBlob? _top;

    public string Name => $"oci:{directory}{(tag is null ? "" : ":" + tag)}";

    public bool AcceptsIndexes => true;

    public string? Tag => tag;

    public string Directory => directory;

    public Task<BlobOutcome?> TryReuseBlobAsync(Descriptor blob, IImageSource source, CancellationToken cancellationToken)
    {
        var path = FinalPath(blob.Digest);
        // Content-addressed and only ever renamed into place after verification: the right size means the right bytes.
        return Task.FromResult<BlobOutcome?>(File.Exists(path) && new FileInfo(path).Length == blob.Size ? BlobOutcome.Exists : null);
    }

    public Task PutBlobAsync(Descriptor blob, IImageSource source, ITransferProgress progress, CancellationToken cancellationToken) =>
        HashingDownload.RunAsync(blob, source, PartialPath(blob.Digest), FinalPath(blob.Digest), progress, retry, cancellationToken);

    public async Task PutManifestAsync(ManifestBlob manifest, bool isTop, CancellationToken cancellationToken)
    {
        var path = FinalPath(manifest.Digest);
        if (!File.Exists(path))
        {
            await BlobFiles.WriteAtomicAsync(path, manifest.Bytes, cancellationToken);
        }

        if (isTop)
        {
            _top = manifest;
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_top is null)
        {
            throw new InvalidOperationException("nothing was copied");
        }

        System.IO.Directory.CreateDirectory(directory);
        await BlobFiles.WriteAtomicAsync(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray(), cancellationToken);
        var indexPath = Path.Combine(directory, "index.json");
        var index = File.Exists(indexPath) ? JsonNode.Parse(await File.ReadAllBytesAsync(indexPath, cancellationToken)) as JsonObject : null;
        index ??= new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex };
        var manifests = index["manifests"] as JsonArray ?? [];
        index["manifests"] = manifests;
        // One entry per tag: a re-pull of the tag replaces it; untagged entries are kept unless they are this manifest.
        foreach (var existing in manifests.OfType<JsonObject>().ToList())
        {
            var existingTag = (string?)existing["annotations"]?[OciLayoutSource.RefNameAnnotation];
            if ((tag is not null && existingTag == tag) || (tag is null && existingTag is null && (string?)existing["digest"] == _top.Digest.ToString()))
            {
                manifests.Remove(existing);
            }
        }

        var entry = new JsonObject
        {
            ["mediaType"] = _top.MediaType,
            ["digest"] = _top.Digest.ToString(),
            ["size"] = _top.Bytes.LongLength,
        };
        if (tag is not null)
        {
            entry["annotations"] = new JsonObject { [OciLayoutSource.RefNameAnnotation] = tag };
        }

        manifests.Add(entry);
        await BlobFiles.WriteAtomicAsync(indexPath, System.Text.Encoding.UTF8.GetBytes(index.ToJsonString(Content.ClientJson.Compact)), cancellationToken);
        TryRemoveEmpty(Path.Combine(directory, PartialDirectory));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal string FinalPath(Digest digest) => Path.Combine(directory, "blobs", digest.AlgorithmName, digest.Encoded);

    private string PartialPath(Digest digest) => Path.Combine(directory, PartialDirectory, $"{digest.AlgorithmName}-{digest.Encoded}");

    private static void TryRemoveEmpty(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path) && !System.IO.Directory.EnumerateFileSystemEntries(path).Any())
            {
                System.IO.Directory.Delete(path);
            }
        }
        catch (IOException)
        {
        }
    }
}
