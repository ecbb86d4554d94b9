using System.Text.Json.Nodes;

namespace Berth.Client.Tests.Support;

/// <summary>
/// An image whose one layer is a real gzip'd tar of about <c>layerBytes</c> random bytes (ImageFactory picks random
/// sizes; resume tests need a layer big enough to cut in the middle).
/// </summary>
public sealed class LargeImage : IManifestFixture
{
    private LargeImage(Blob manifest, Blob config, Blob layer, string diffId)
    {
        Manifest = manifest;
        Config = config;
        Layer = layer;
        DiffId = diffId;
    }

    public Blob Manifest { get; }

    public Blob Config { get; }

    public Blob Layer { get; }

    public string DiffId { get; }

    public IReadOnlyList<Blob> AllContent => [Manifest, Config, Layer];

    public static LargeImage Create(ImageFactory factory, int layerBytes, ManifestFormat format = ManifestFormat.Oci)
    {
        var tar = ImageFactory.Tar(new Dictionary<string, byte[]> { ["big/payload.bin"] = factory.RandomBytes(layerBytes) });
        var diffId = Blob.Sha256Digest(tar);
        var oci = format == ManifestFormat.Oci;
        var layer = new Blob(oci ? MediaTypes.OciLayerGzip : MediaTypes.DockerLayerGzip, ImageFactory.Gzip(tar));
        var config = new Blob(oci ? MediaTypes.OciConfig : MediaTypes.DockerConfig, ImageFactory.Json(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
        }));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = oci ? MediaTypes.OciManifest : MediaTypes.DockerManifest,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray(layer.Descriptor()),
        };
        return new LargeImage(new Blob(oci ? MediaTypes.OciManifest : MediaTypes.DockerManifest, ImageFactory.Json(manifest)), config, layer, diffId);
    }
}
