using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client.Content;
using Berth.Client.Http;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>
/// Writes a tarball that <c>docker load</c> and <c>podman load</c> take (<c>docker-archive:FILE</c>): manifest.json,
/// the config, and each layer uncompressed as <c>&lt;diff_id&gt;.tar</c>, every one checked against the config's
/// diff_ids. Blobs are downloaded (and resumed) in a staging directory beside the file; the tarball appears at the end.
/// </summary>
public sealed class DockerArchiveDestination(string file, string? repoTag, RetryPolicy retry) : IImageDestination
{
    private readonly OciLayoutDestination _staging = new(file + ".berth-partial.d", null, retry);
    private ManifestBlob? _top;

    public string Name => $"docker-archive:{file}";

    public bool AcceptsIndexes => false;

    public string? Tag => repoTag;

    public Task<BlobOutcome?> TryReuseBlobAsync(Descriptor blob, IImageSource source, CancellationToken cancellationToken) =>
        _staging.TryReuseBlobAsync(blob, source, cancellationToken);

    public Task PutBlobAsync(Descriptor blob, IImageSource source, ITransferProgress progress, CancellationToken cancellationToken) =>
        _staging.PutBlobAsync(blob, source, progress, cancellationToken);

    public Task PutManifestAsync(ManifestBlob manifest, bool isTop, CancellationToken cancellationToken)
    {
        if (isTop)
        {
            _top = manifest;
        }

        return Task.CompletedTask;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        var manifest = (_top ?? throw new InvalidOperationException("nothing was copied")).Parse();
        if (manifest.IsIndex || manifest.Config is null)
        {
            throw new InvalidOperationException($"{Name} holds one image; {_top.Digest} is an index");
        }

        var configBytes = await File.ReadAllBytesAsync(_staging.FinalPath(manifest.Config.Digest), cancellationToken);
        var diffIds = DiffIds(configBytes);
        if (diffIds.Count != manifest.Layers.Count)
        {
            throw new InvalidDataException($"the config lists {diffIds.Count} diff_ids for {manifest.Layers.Count} layers");
        }

        var temp = $"{file}.tmp-{Environment.ProcessId}";
        var layerNames = new List<string>();
        await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        await using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                var layer = manifest.Layers[i];
                var name = $"{diffIds[i].Encoded}.tar";
                layerNames.Add(name);
                if (!written.Add(name))
                {
                    continue;
                }

                var plain = _staging.FinalPath(layer.Digest) + ".tar";
                var (diffId, _) = await Gzip.DecompressAsync(_staging.FinalPath(layer.Digest), plain, cancellationToken);
                if (diffId != diffIds[i])
                {
                    throw new RegistryException(RegistryErrorKind.DigestMismatch,
                        $"layer {layer.Digest} unpacks to {diffId}, but the config says {diffIds[i]}");
                }

                await WriteFileAsync(tar, name, plain, cancellationToken);
                File.Delete(plain);
            }

            var configName = $"{manifest.Config.Digest.Encoded}.json";
            await WriteBytesAsync(tar, configName, configBytes, cancellationToken);
            var entry = new JsonObject
            {
                ["Config"] = configName,
                ["RepoTags"] = repoTag is null ? new JsonArray() : new JsonArray(repoTag),
                ["Layers"] = new JsonArray([.. layerNames.Select(n => (JsonNode)n)]),
            };
            await WriteBytesAsync(tar, "manifest.json", System.Text.Encoding.UTF8.GetBytes(new JsonArray(entry).ToJsonString(Content.ClientJson.Compact)), cancellationToken);
        }

        File.Move(temp, file, overwrite: true);
        try
        {
            Directory.Delete(_staging.Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static List<Digest> DiffIds(byte[] config)
    {
        using var document = JsonDocument.Parse(config);
        var list = new List<Digest>();
        if (document.RootElement.TryGetProperty("rootfs", out var rootfs) && rootfs.TryGetProperty("diff_ids", out var ids))
        {
            foreach (var id in ids.EnumerateArray())
            {
                list.Add(Digest.Parse(id.GetString() ?? ""));
            }
        }

        return list;
    }

    private static async Task WriteFileAsync(TarWriter tar, string name, string path, CancellationToken cancellationToken)
    {
        await using var data = BlobFiles.OpenRead(path);
        await tar.WriteEntryAsync(Entry(name, data), cancellationToken);
    }

    private static async Task WriteBytesAsync(TarWriter tar, string name, byte[] bytes, CancellationToken cancellationToken) =>
        await tar.WriteEntryAsync(Entry(name, new MemoryStream(bytes, writable: false)), cancellationToken);

    private static PaxTarEntry Entry(string name, Stream data) => new(TarEntryType.RegularFile, name)
    {
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        ModificationTime = DateTimeOffset.UnixEpoch,
        DataStream = data,
    };
}
