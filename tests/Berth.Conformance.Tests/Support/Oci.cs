using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Conformance.Tests.Support;

/// <summary>Media types used by the suite (OCI image-spec, Docker v2 schema 2).</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string OctetStream = "application/octet-stream";
}

/// <summary>Content digests in the OCI form <c>algorithm:hex</c>.</summary>
public static class Digests
{
    public static string Sha256(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Sha512(ReadOnlySpan<byte> data) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(data));

    public static string Of(string algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        "sha256" => Sha256(data),
        "sha512" => Sha512(data),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unsupported in the suite"),
    };

    /// <summary>True when <paramref name="digest"/> (sha256 or sha512) is the digest of <paramref name="data"/>.</summary>
    public static bool Matches(string digest, ReadOnlySpan<byte> data)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var algorithm = digest[..colon];
        return algorithm is "sha256" or "sha512" && string.Equals(Of(algorithm, data), digest, StringComparison.Ordinal);
    }

    /// <summary>A well-formed digest that no test ever uploads.</summary>
    public static string Random() => Sha256(RandomNumberGenerator.GetBytes(32));

    public static string Hex(this string digest) => digest[(digest.IndexOf(':', StringComparison.Ordinal) + 1)..];
}

/// <summary>A blob as the client holds it.</summary>
public sealed record Blob(byte[] Bytes, string Digest, string MediaType)
{
    public long Size => Bytes.LongLength;

    public static Blob Random(int size, string mediaType = MediaTypes.OciLayerGzip, string algorithm = "sha256")
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        return new Blob(bytes, Digests.Of(algorithm, bytes), mediaType);
    }

    public static Blob From(byte[] bytes, string mediaType = MediaTypes.OctetStream, string algorithm = "sha256") =>
        new(bytes, Digests.Of(algorithm, bytes), mediaType);

    public static Blob FromString(string text, string mediaType = MediaTypes.OctetStream) =>
        From(Encoding.UTF8.GetBytes(text), mediaType);

    /// <summary>An image config unique to this call (random author), so digests never collide across tests.</summary>
    public static Blob Config(string mediaType = MediaTypes.OciConfig, string algorithm = "sha256")
    {
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["author"] = "berth-conformance-" + Guid.NewGuid().ToString("N"),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        };
        return From(Encoding.UTF8.GetBytes(config.ToJsonString()), mediaType, algorithm);
    }

    /// <summary>The OCI empty descriptor's content, <c>{}</c>.</summary>
    public static Blob EmptyJson() => From("{}"u8.ToArray(), MediaTypes.OciEmpty);

    public JsonObject Descriptor(string? mediaType = null) => new()
    {
        ["mediaType"] = mediaType ?? MediaType,
        ["digest"] = Digest,
        ["size"] = Size,
    };
}

/// <summary>A manifest (image, index, list, artifact) as the exact bytes the client sends.</summary>
public sealed record Manifest(byte[] Bytes, string MediaType)
{
    public string Digest { get; } = Digests.Sha256(Bytes);

    public long Size => Bytes.LongLength;

    public JsonObject Descriptor(string? artifactType = null, JsonObject? platform = null)
    {
        var d = new JsonObject { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
        if (artifactType is not null)
        {
            d["artifactType"] = artifactType;
        }

        if (platform is not null)
        {
            d["platform"] = platform;
        }

        return d;
    }

    /// <summary>Serialises with odd but valid whitespace, so a registry that re-serialises instead of storing bytes is caught.</summary>
    public static Manifest FromJson(JsonObject json, string mediaType) =>
        new(Encoding.UTF8.GetBytes(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n"), mediaType);
}

/// <summary>An image: config and layers (the blobs to push first) and the manifest that names them.</summary>
public sealed record Image(Blob Config, IReadOnlyList<Blob> Layers, Manifest Manifest)
{
    public IEnumerable<Blob> Blobs => Layers.Prepend(Config);
}

/// <summary>Builds test images, indexes and artifacts.</summary>
public static class Build
{
    public static Image OciImage(int layers = 1, int layerSize = 1024, JsonObject? annotations = null, JsonObject? subject = null, string? artifactType = null, string algorithm = "sha256")
    {
        var config = Blob.Config(MediaTypes.OciConfig, algorithm);
        var blobs = Enumerable.Range(0, layers).Select(_ => Blob.Random(layerSize, MediaTypes.OciLayerGzip, algorithm)).ToList();
        return new Image(config, blobs, OciManifest(config, blobs, annotations, subject, artifactType));
    }

    public static Manifest OciManifest(Blob config, IEnumerable<Blob> layers, JsonObject? annotations = null, JsonObject? subject = null, string? artifactType = null, string? configMediaType = null)
    {
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
        };
        if (artifactType is not null)
        {
            json["artifactType"] = artifactType;
        }

        json["config"] = config.Descriptor(configMediaType);
        json["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.Descriptor()).ToArray());
        if (subject is not null)
        {
            json["subject"] = subject;
        }

        if (annotations is not null)
        {
            json["annotations"] = annotations;
        }

        return Manifest.FromJson(json, MediaTypes.OciManifest);
    }

    public static Image DockerImage(int layers = 1, int layerSize = 1024)
    {
        var config = Blob.Config(MediaTypes.DockerConfig);
        var blobs = Enumerable.Range(0, layers).Select(_ => Blob.Random(layerSize, MediaTypes.DockerLayer)).ToList();
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.DockerManifest,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray(blobs.Select(l => (JsonNode)l.Descriptor()).ToArray()),
        };
        return new Image(config, blobs, Manifest.FromJson(json, MediaTypes.DockerManifest));
    }

    public static Manifest OciIndex(IEnumerable<Manifest> children, JsonObject? annotations = null, JsonObject? subject = null, string? artifactType = null)
    {
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
        };
        if (artifactType is not null)
        {
            json["artifactType"] = artifactType;
        }

        var arch = 0;
        json["manifests"] = new JsonArray(children.Select(c => (JsonNode)c.Descriptor(platform: Platform(arch++))).ToArray());
        if (subject is not null)
        {
            json["subject"] = subject;
        }

        if (annotations is not null)
        {
            json["annotations"] = annotations;
        }

        return Manifest.FromJson(json, MediaTypes.OciIndex);
    }

    public static Manifest DockerManifestList(IEnumerable<Manifest> children)
    {
        var arch = 0;
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.DockerManifestList,
            ["manifests"] = new JsonArray(children.Select(c => (JsonNode)c.Descriptor(platform: Platform(arch++))).ToArray()),
        };
        return Manifest.FromJson(json, MediaTypes.DockerManifestList);
    }

    /// <summary>An artifact that refers to <paramref name="subject"/>: empty config, one layer, artifactType set.</summary>
    public static (Manifest Manifest, Blob[] Blobs) Artifact(Manifest subject, string artifactType, string annotationValue, bool typeInConfig = false)
    {
        var layer = Blob.From(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()), artifactType);
        var annotations = new JsonObject { ["org.example.conformance"] = annotationValue };
        if (typeInConfig)
        {
            // Image-style artifact: the config media type carries the type.
            var config = Blob.From(Encoding.UTF8.GetBytes("{\"kind\":\"" + Guid.NewGuid() + "\"}"), artifactType);
            return (OciManifest(config, [layer], annotations, subject.Descriptor()), [config, layer]);
        }

        var empty = Blob.EmptyJson();
        return (OciManifest(empty, [layer], annotations, subject.Descriptor(), artifactType), [empty, layer]);
    }

    private static JsonObject Platform(int index) => new()
    {
        ["architecture"] = index switch { 0 => "amd64", 1 => "arm64", 2 => "ppc64le", _ => "s390x" },
        ["os"] = "linux",
    };
}

/// <summary>Repository names unique to each test, so tests never see each other's content.</summary>
public static class Repo
{
    public static string New(string prefix) => $"conformance/{prefix}-{Guid.NewGuid():N}";
}
