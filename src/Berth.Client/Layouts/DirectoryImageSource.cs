using System.Formats.Tar;
using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>
/// A new single-layer image from a directory (<c>push --from-dir DIR</c>). The layer is reproducible: entries sorted,
/// owner root, times fixed (<c>SOURCE_DATE_EPOCH</c>, else 1970), so the same tree gives the same digest on every run.
/// </summary>
public sealed class DirectoryImageSource : IImageSource
{
    private readonly string _directory;
    private readonly PlatformSpec _platform;
    private readonly DateTimeOffset _time;
    private readonly StagedBlobs _staged = new("berth-from-dir");
    private ManifestBlob? _manifest;

    public DirectoryImageSource(string directory, PlatformSpec? platform = null)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory} is not a directory");
        }

        _directory = Path.GetFullPath(directory);
        _platform = platform ?? new PlatformSpec("linux", PlatformSpec.Host.Architecture);
        _time = long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch)
            : DateTimeOffset.UnixEpoch;
    }

    public string Name => $"dir:{_directory}";

    public RepositoryLocation? Repository => null;

    public async Task<ManifestBlob> GetManifestAsync(Digest? digest, CancellationToken cancellationToken)
    {
        _manifest ??= await BuildAsync(cancellationToken);
        return digest is null || digest == _manifest.Digest
            ? _manifest
            : throw new RegistryException(RegistryErrorKind.NotFound, $"{Name} has no manifest {digest}");
    }

    public Task<Stream> OpenBlobAsync(Descriptor blob, long offset, CancellationToken cancellationToken) =>
        Task.FromResult(_staged.Open(blob.Digest, offset, Name));

    public ValueTask DisposeAsync()
    {
        _staged.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<ManifestBlob> BuildAsync(CancellationToken cancellationToken)
    {
        var tarFile = _staged.NewFile();
        await using (var tarStream = new FileStream(tarFile, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await WriteTarAsync(tarStream, cancellationToken);
        }

        var layerFile = _staged.NewFile();
        (Digest DiffId, Digest Digest, long Size) layer;
        await using (var tar = Content.BlobFiles.OpenRead(tarFile))
        {
            layer = await Gzip.CompressAsync(tar, layerFile, cancellationToken);
        }

        File.Delete(tarFile);
        _staged.AddFile(layer.Digest, layerFile);

        var created = _time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var config = new JsonObject
        {
            ["created"] = created,
            ["architecture"] = _platform.Architecture,
            ["os"] = _platform.Os,
        };
        if (_platform.Variant is not null)
        {
            config["variant"] = _platform.Variant;
        }

        config["config"] = new JsonObject();
        config["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.DiffId.ToString()) };
        config["history"] = new JsonArray(new JsonObject { ["created"] = created, ["created_by"] = "berth push --from-dir" });
        var configBytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString(Content.ClientJson.Compact));
        var configDigest = Digest.Sha256(configBytes);
        _staged.Add(configDigest, configBytes);

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = MediaTypes.OciConfig, ["digest"] = configDigest.ToString(), ["size"] = configBytes.LongLength },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = MediaTypes.OciLayerTarGzip,
                ["digest"] = layer.Digest.ToString(),
                ["size"] = layer.Size,
            }),
        };
        return ManifestBlob.From(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString(Content.ClientJson.Compact)), MediaTypes.OciManifest);
    }

    private async Task WriteTarAsync(Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var path in Walk(_directory).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var full = Path.Combine(_directory, path);
            var info = new FileInfo(full);
            var isLink = info.LinkTarget is not null;
            var isDirectory = !isLink && Directory.Exists(full);
            var entry = new GnuTarEntry(isLink ? TarEntryType.SymbolicLink : isDirectory ? TarEntryType.Directory : TarEntryType.RegularFile,
                isDirectory ? path + "/" : path)
            {
                ModificationTime = _time,
                AccessTime = _time,
                ChangeTime = _time,
                Uid = 0,
                Gid = 0,
                UserName = "",
                GroupName = "",
                Mode = OperatingSystem.IsWindows()
                    ? (isDirectory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100)
                    : (isDirectory ? new DirectoryInfo(full).UnixFileMode : info.UnixFileMode),
            };
            if (isLink)
            {
                entry.LinkName = info.LinkTarget!;
                await writer.WriteEntryAsync(entry, cancellationToken);
            }
            else if (isDirectory)
            {
                await writer.WriteEntryAsync(entry, cancellationToken);
            }
            else
            {
                await using var data = Content.BlobFiles.OpenRead(full);
                entry.DataStream = data;
                await writer.WriteEntryAsync(entry, cancellationToken);
            }
        }
    }

    /// <summary>Relative paths with '/' separators; symbolic links are entries, never followed.</summary>
    private static IEnumerable<string> Walk(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", options))
        {
            yield return Path.GetRelativePath(root, entry).Replace('\\', '/');
        }
    }
}
