using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Testing.Images;

/// <summary>The media types the fixtures use.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;
}

/// <summary>Manifest flavour: OCI image-spec or Docker v2 schema 2.</summary>
public enum ManifestFormat
{
    Oci,
    Docker,
}

/// <summary>Some content and its sha256 digest, as stored in a registry or an OCI layout.</summary>
public sealed class Blob
{
    public Blob(string mediaType, byte[] bytes)
    {
        MediaType = mediaType;
        Bytes = bytes;
        Digest = Sha256Digest(bytes);
    }

    public string MediaType { get; }

    public byte[] Bytes { get; }

    /// <summary>"sha256:&lt;hex&gt;".</summary>
    public string Digest { get; }

    public string Hex => Digest["sha256:".Length..];

    public long Size => Bytes.LongLength;

    public static string Sha256Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The OCI descriptor of this blob (mediaType, digest, size), plus optional extra members.</summary>
    public JsonObject Descriptor(Action<JsonObject>? extra = null)
    {
        var descriptor = new JsonObject
        {
            ["mediaType"] = MediaType,
            ["digest"] = Digest,
            ["size"] = Size,
        };
        extra?.Invoke(descriptor);
        return descriptor;
    }

    public override string ToString() => $"{MediaType} {Digest} ({Size} bytes)";
}

/// <summary>os/architecture[/variant].</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public static readonly Platform LinuxAmd64 = new("linux", "amd64");
    public static readonly Platform LinuxArm64 = new("linux", "arm64", "v8");
    public static readonly Platform LinuxS390x = new("linux", "s390x");

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["architecture"] = Architecture, ["os"] = Os };
        if (Variant is not null)
        {
            json["variant"] = Variant;
        }

        return json;
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

/// <summary>Anything that is a manifest plus the content it references.</summary>
public interface IManifestFixture
{
    Blob Manifest { get; }

    /// <summary>Every blob written for this fixture: manifests (child manifests included), configs, layers.</summary>
    IReadOnlyList<Blob> AllContent { get; }
}

/// <summary>A single-platform image: manifest, config and gzip layers.</summary>
public sealed class ImageFixture : IManifestFixture
{
    internal ImageFixture(ManifestFormat format, Platform platform, Blob manifest, Blob config, IReadOnlyList<Blob> layers,
        IReadOnlyList<string> diffIds, IReadOnlyList<IReadOnlyDictionary<string, byte[]>> layerFiles)
    {
        Format = format;
        Platform = platform;
        Manifest = manifest;
        Config = config;
        Layers = layers;
        DiffIds = diffIds;
        LayerFiles = layerFiles;
    }

    public ManifestFormat Format { get; }

    public Platform Platform { get; }

    public Blob Manifest { get; }

    public Blob Config { get; }

    public IReadOnlyList<Blob> Layers { get; }

    /// <summary>sha256 of each uncompressed layer tar, as in the config's rootfs.diff_ids.</summary>
    public IReadOnlyList<string> DiffIds { get; }

    /// <summary>The regular files in each layer: path inside the tar → content.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, byte[]>> LayerFiles { get; }

    public IReadOnlyList<Blob> AllContent => [Manifest, Config, .. Layers];
}

/// <summary>A multi-platform image: an OCI image index or a Docker manifest list, and its images.</summary>
public sealed class IndexFixture : IManifestFixture
{
    internal IndexFixture(ManifestFormat format, Blob index, IReadOnlyList<ImageFixture> images)
    {
        Format = format;
        Manifest = index;
        Images = images;
    }

    public ManifestFormat Format { get; }

    public Blob Manifest { get; }

    public IReadOnlyList<ImageFixture> Images { get; }

    public IReadOnlyList<Blob> AllContent => [Manifest, .. Images.SelectMany(i => i.AllContent)];
}

/// <summary>An OCI artifact manifest (image manifest with artifactType) whose subject is another manifest.</summary>
public sealed class ArtifactFixture : IManifestFixture
{
    internal ArtifactFixture(string artifactType, Blob manifest, Blob config, IReadOnlyList<Blob> layers, Blob subject)
    {
        ArtifactType = artifactType;
        Manifest = manifest;
        Config = config;
        Layers = layers;
        Subject = subject;
    }

    public string ArtifactType { get; }

    public Blob Manifest { get; }

    public Blob Config { get; }

    public IReadOnlyList<Blob> Layers { get; }

    /// <summary>The manifest this artifact refers to (not part of <see cref="AllContent"/>).</summary>
    public Blob Subject { get; }

    public IReadOnlyList<Blob> AllContent => [Manifest, Config, .. Layers];
}

/// <summary>
/// Builds images and artifacts in memory from random bytes — no downloads. Every blob is real: layers are gzip'd
/// tars of random files, configs carry the right diff_ids, manifests reference exactly what was built.
/// </summary>
public sealed class ImageFactory
{
    public const string DefaultArtifactType = "application/vnd.berth.test.sbom.v1+json";

    private static readonly DateTimeOffset Epoch = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly Random _random;

    /// <summary>A factory whose output is fully determined by <paramref name="seed"/>.</summary>
    public ImageFactory(int seed) => _random = new Random(seed);

    /// <summary>A factory producing fresh random content every time.</summary>
    public ImageFactory()
        : this(RandomNumberGenerator.GetInt32(int.MaxValue))
    {
    }

    /// <summary>A single-platform image with <paramref name="layers"/> random layers.</summary>
    public ImageFixture CreateImage(
        int layers = 2,
        ManifestFormat format = ManifestFormat.Oci,
        Platform? platform = null,
        int filesPerLayer = 3,
        int maxFileBytes = 16 * 1024)
    {
        platform ??= Platform.LinuxAmd64;
        var layerMediaType = format == ManifestFormat.Oci ? MediaTypes.OciLayerGzip : MediaTypes.DockerLayerGzip;
        var layerBlobs = new List<Blob>();
        var diffIds = new List<string>();
        var layerFiles = new List<IReadOnlyDictionary<string, byte[]>>();
        for (var i = 0; i < layers; i++)
        {
            var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            for (var f = 0; f < filesPerLayer; f++)
            {
                files[$"berth/layer{i}/file{f}.bin"] = RandomBytes(_random.Next(1, maxFileBytes + 1));
            }

            var tar = Tar(files);
            diffIds.Add(Blob.Sha256Digest(tar));
            layerBlobs.Add(new Blob(layerMediaType, Gzip(tar)));
            layerFiles.Add(files);
        }

        var config = new JsonObject
        {
            ["created"] = Epoch.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["architecture"] = platform.Architecture,
            ["os"] = platform.Os,
        };
        if (platform.Variant is not null)
        {
            config["variant"] = platform.Variant;
        }

        config["config"] = new JsonObject
        {
            ["Env"] = new JsonArray("PATH=/usr/local/bin:/usr/bin:/bin"),
            ["Cmd"] = new JsonArray("/bin/sh"),
            ["Labels"] = new JsonObject { ["org.berth.test.id"] = Convert.ToHexStringLower(RandomBytes(8)) },
        };
        config["rootfs"] = new JsonObject
        {
            ["type"] = "layers",
            ["diff_ids"] = new JsonArray([.. diffIds.Select(d => (JsonNode)d)]),
        };
        config["history"] = new JsonArray([.. Enumerable.Range(0, layers).Select(i => (JsonNode)new JsonObject
        {
            ["created"] = Epoch.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["created_by"] = $"berth ImageFactory layer {i}",
        })]);
        var configBlob = new Blob(format == ManifestFormat.Oci ? MediaTypes.OciConfig : MediaTypes.DockerConfig, Json(config));

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = format == ManifestFormat.Oci ? MediaTypes.OciManifest : MediaTypes.DockerManifest,
            ["config"] = configBlob.Descriptor(),
            ["layers"] = new JsonArray([.. layerBlobs.Select(l => (JsonNode)l.Descriptor())]),
        };
        var manifestBlob = new Blob(format == ManifestFormat.Oci ? MediaTypes.OciManifest : MediaTypes.DockerManifest, Json(manifest));
        return new ImageFixture(format, platform, manifestBlob, configBlob, layerBlobs, diffIds, layerFiles);
    }

    /// <summary>An OCI image index or Docker manifest list over one image per platform (default: amd64, arm64, s390x).</summary>
    public IndexFixture CreateIndex(
        IEnumerable<Platform>? platforms = null,
        ManifestFormat format = ManifestFormat.Oci,
        int layersPerImage = 1)
    {
        var images = (platforms ?? [Platform.LinuxAmd64, Platform.LinuxArm64, Platform.LinuxS390x])
            .Select(p => CreateImage(layersPerImage, format, p))
            .ToList();
        var mediaType = format == ManifestFormat.Oci ? MediaTypes.OciIndex : MediaTypes.DockerManifestList;
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray([.. images.Select(i => (JsonNode)i.Manifest.Descriptor(d => d["platform"] = i.Platform.ToJson()))]),
        };
        return new IndexFixture(format, new Blob(mediaType, Json(index)), images);
    }

    /// <summary>
    /// An artifact (OCI image manifest with <c>artifactType</c>, the empty config and <paramref name="blobs"/> random
    /// blobs) whose <c>subject</c> is <paramref name="subject"/>.
    /// </summary>
    public ArtifactFixture CreateArtifact(IManifestFixture subject, string artifactType = DefaultArtifactType, int blobs = 1)
    {
        var config = new Blob(MediaTypes.OciEmpty, "{}"u8.ToArray());
        var layers = Enumerable.Range(0, blobs)
            .Select(i => new Blob("application/vnd.berth.test.payload.v1+json",
                Encoding.UTF8.GetBytes($$"""{"part":{{i}},"nonce":"{{Convert.ToHexStringLower(RandomBytes(16))}}"}""")))
            .ToList();
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["artifactType"] = artifactType,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)l.Descriptor())]),
            ["subject"] = subject.Manifest.Descriptor(),
            ["annotations"] = new JsonObject
            {
                ["org.opencontainers.image.created"] = Epoch.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        return new ArtifactFixture(artifactType, new Blob(MediaTypes.OciManifest, Json(manifest)), config, layers, subject.Manifest);
    }

    /// <summary>Random bytes from this factory's generator.</summary>
    public byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Compact UTF-8 JSON, members in insertion order.</summary>
    public static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>A POSIX tar of <paramref name="files"/> (with their parent directories), deterministic metadata.</summary>
    public static byte[] Tar(IReadOnlyDictionary<string, byte[]> files)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            var directories = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var path in files.Keys)
            {
                var parts = path.Split('/');
                for (var i = 1; i < parts.Length; i++)
                {
                    directories.Add(string.Join('/', parts[..i]) + "/");
                }
            }

            foreach (var directory in directories)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, directory)
                {
                    Mode = (UnixFileMode)0b111_101_101,
                    ModificationTime = Epoch,
                });
            }

            foreach (var (path, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = (UnixFileMode)0b110_100_100,
                    ModificationTime = Epoch,
                    DataStream = new MemoryStream(content, writable: false),
                });
            }
        }

        return output.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The regular files of a (possibly gzip'd) layer tar: path (without a leading "./" or "/") → content.</summary>
    public static IReadOnlyDictionary<string, byte[]> ReadLayerFiles(byte[] layer)
    {
        var tar = layer.Length >= 2 && layer[0] == 0x1f && layer[1] == 0x8b ? Gunzip(layer) : layer;
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null)
            {
                using var content = new MemoryStream();
                entry.DataStream.CopyTo(content);
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/');
                files[name] = content.ToArray();
            }
        }

        return files;
    }
}
