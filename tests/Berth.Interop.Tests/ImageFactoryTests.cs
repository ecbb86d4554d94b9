using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>The fixtures are what they claim to be (the registry tests lean on this).</summary>
public sealed class ImageFactoryTests
{
    [Fact]
    public void Same_seed_same_bytes_other_seed_other_bytes()
    {
        var a = new ImageFactory(42).CreateIndex();
        var b = new ImageFactory(42).CreateIndex();
        var c = new ImageFactory(43).CreateIndex();
        Assert.Equal(a.AllContent.Select(x => x.Digest), b.AllContent.Select(x => x.Digest));
        Assert.Empty(a.AllContent.Select(x => x.Digest).Intersect(c.AllContent.Select(x => x.Digest)));
    }

    [Theory]
    [InlineData(ManifestFormat.Oci, MediaTypes.OciManifest, MediaTypes.OciConfig, MediaTypes.OciLayerGzip)]
    [InlineData(ManifestFormat.Docker, MediaTypes.DockerManifest, MediaTypes.DockerConfig, MediaTypes.DockerLayerGzip)]
    public void Image_manifest_config_and_layers_agree(ManifestFormat format, string manifestType, string configType, string layerType)
    {
        var image = new ImageFactory().CreateImage(layers: 3, format: format, platform: Platform.LinuxArm64);
        var manifest = JsonNode.Parse(image.Manifest.Bytes)!;
        Assert.Equal(manifestType, image.Manifest.MediaType);
        Assert.Equal(manifestType, (string?)manifest["mediaType"]);
        Assert.Equal(2, (int)manifest["schemaVersion"]!);
        AssertDescriptor(manifest["config"]!, image.Config, configType);
        var layers = manifest["layers"]!.AsArray();
        Assert.Equal(3, layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            AssertDescriptor(layers[i]!, image.Layers[i], layerType);
            Assert.Equal(image.DiffIds[i], Blob.Sha256Digest(ImageFactory.Gunzip(image.Layers[i].Bytes)));
            LayoutAssert.SameFiles(image.LayerFiles[i], ImageFactory.ReadLayerFiles(image.Layers[i].Bytes));
        }

        var config = JsonNode.Parse(image.Config.Bytes)!;
        Assert.Equal("arm64", (string?)config["architecture"]);
        Assert.Equal("v8", (string?)config["variant"]);
        Assert.Equal("linux", (string?)config["os"]);
        Assert.Equal("layers", (string?)config["rootfs"]!["type"]);
        Assert.Equal(image.DiffIds, config["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string)d!));
    }

    [Fact]
    public void Index_lists_one_image_per_platform()
    {
        var index = new ImageFactory().CreateIndex(format: ManifestFormat.Docker);
        var json = JsonNode.Parse(index.Manifest.Bytes)!;
        Assert.Equal(MediaTypes.DockerManifestList, (string?)json["mediaType"]);
        var children = json["manifests"]!.AsArray();
        Assert.Equal(["amd64", "arm64", "s390x"], children.Select(c => (string)c!["platform"]!["architecture"]!));
        for (var i = 0; i < children.Count; i++)
        {
            AssertDescriptor(children[i]!, index.Images[i].Manifest, MediaTypes.DockerManifest);
        }
    }

    [Fact]
    public void Artifact_points_at_its_subject()
    {
        var factory = new ImageFactory();
        var image = factory.CreateImage(layers: 1);
        var artifact = factory.CreateArtifact(image, blobs: 2);
        var json = JsonNode.Parse(artifact.Manifest.Bytes)!;
        Assert.Equal(ImageFactory.DefaultArtifactType, (string?)json["artifactType"]);
        AssertDescriptor(json["subject"]!, image.Manifest, MediaTypes.OciManifest);
        AssertDescriptor(json["config"]!, artifact.Config, MediaTypes.OciEmpty);
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", artifact.Config.Digest);
        Assert.Equal(2, json["layers"]!.AsArray().Count);
    }

    [Fact]
    public void Layout_round_trips_its_index()
    {
        using var tools = new ToolSandbox();
        var factory = new ImageFactory();
        var image = factory.CreateImage();
        var index = factory.CreateIndex();
        var layout = tools.NewLayout((image, "one"));
        LayoutAssert.HoldsExactly(layout, "one", image);
        layout.Add(index, "many").Add(index, "one");
        Assert.Equal(2, layout.ReadIndex().Count);
        Assert.Equal(index.Manifest.Digest, layout.Resolve("many").Digest);
        Assert.Equal(index.Manifest.Digest, layout.Resolve("one").Digest);
        Assert.Equal(MediaTypes.OciIndex, layout.Resolve("many").MediaType);
        Assert.Throws<ArgumentException>(() => layout.BlobPath("sha256:../../etc/passwd"));
    }

    private static void AssertDescriptor(JsonNode descriptor, Blob blob, string mediaType)
    {
        Assert.Equal(mediaType, blob.MediaType);
        Assert.Equal(mediaType, (string?)descriptor["mediaType"]);
        Assert.Equal(blob.Digest, (string?)descriptor["digest"]);
        Assert.Equal(blob.Size, (long)descriptor["size"]!);
        Assert.Equal(blob.Digest, Blob.Sha256Digest(blob.Bytes));
    }
}
