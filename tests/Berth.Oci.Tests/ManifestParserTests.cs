using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Oci.Tests;

public class ManifestParserTests
{
    private static readonly string ConfigDigest = Digest.Sha256("config"u8).ToString();
    private static readonly string LayerDigest = Digest.Sha256("layer"u8).ToString();
    private static readonly string ChildDigest = Digest.Sha256("child"u8).ToString();
    private static readonly string SubjectDigest = Digest.Sha256("subject"u8).ToString();

    private static JsonObject Descriptor(string mediaType, string digest, long size = 10) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    private static JsonObject OciManifest() => new()
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciManifest,
        ["config"] = Descriptor(MediaTypes.OciConfig, ConfigDigest, 2),
        ["layers"] = new JsonArray(Descriptor(MediaTypes.OciLayerTarGzip, LayerDigest, 5)),
    };

    private static JsonObject OciIndex() => new()
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciIndex,
        ["manifests"] = new JsonArray(
            new JsonObject
            {
                ["mediaType"] = MediaTypes.OciManifest,
                ["digest"] = ChildDigest,
                ["size"] = 500,
                ["platform"] = new JsonObject { ["architecture"] = "arm64", ["os"] = "linux", ["variant"] = "v8" },
            }),
    };

    private static Result<ManifestDocument> Parse(JsonNode node, string? contentType) =>
        ManifestParser.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()), contentType);

    private static Result<ManifestDocument> Parse(string json, string? contentType) =>
        ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType);

    private static ManifestDocument Ok(Result<ManifestDocument> result)
    {
        Assert.True(result.IsSuccess, $"expected success, got {result.Error}");
        return result.Value;
    }

    private static OciError Fails(Result<ManifestDocument> result, OciErrorCode code = OciErrorCode.ManifestInvalid)
    {
        Assert.False(result.IsSuccess, "expected the manifest to be rejected");
        Assert.Equal(code, result.Error.Code);
        return result.Error;
    }

    [Fact]
    public void Oci_image_manifest_is_parsed()
    {
        var document = Ok(Parse(OciManifest(), MediaTypes.OciManifest));
        Assert.Equal(MediaTypes.OciManifest, document.MediaType);
        Assert.False(document.IsIndex);
        Assert.Equal(new Descriptor(MediaTypes.OciConfig, Digest.Parse(ConfigDigest), 2), document.Config);
        var layer = Assert.Single(document.Layers);
        Assert.Equal(MediaTypes.OciLayerTarGzip, layer.MediaType);
        Assert.Equal(Digest.Parse(LayerDigest), layer.Digest);
        Assert.Equal(5, layer.Size);
        Assert.Empty(document.Manifests);
        Assert.Null(document.Subject);
        Assert.Null(document.ArtifactType);
        Assert.Equal([ConfigDigest, LayerDigest], document.RequiredBlobs.Select(d => d.Digest.ToString()));
    }

    [Fact]
    public void Oci_index_is_parsed_with_platforms()
    {
        var document = Ok(Parse(OciIndex(), MediaTypes.OciIndex));
        Assert.Equal(MediaTypes.OciIndex, document.MediaType);
        Assert.True(document.IsIndex);
        Assert.Null(document.Config);
        Assert.Empty(document.Layers);
        var child = Assert.Single(document.Manifests);
        Assert.Equal(Digest.Parse(ChildDigest), child.Digest);
        Assert.Equal(500, child.Size);
        Assert.Equal(new Platform("arm64", "linux", "v8"), child.Platform);
        Assert.Empty(document.RequiredBlobs);
        Assert.Null(document.EffectiveArtifactType);
    }

    [Fact]
    public void Docker_schema2_manifest_is_parsed()
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.DockerManifest,
            ["config"] = Descriptor(MediaTypes.DockerConfig, ConfigDigest, 2),
            ["layers"] = new JsonArray(Descriptor(MediaTypes.DockerLayer, LayerDigest, 5)),
        };
        var document = Ok(Parse(manifest, MediaTypes.DockerManifest));
        Assert.Equal(MediaTypes.DockerManifest, document.MediaType);
        Assert.False(document.IsIndex);
        Assert.Equal(MediaTypes.DockerConfig, document.Config!.MediaType);
        Assert.Equal(2, document.RequiredBlobs.Count());
    }

    [Fact]
    public void Docker_manifest_list_is_parsed()
    {
        var list = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.DockerManifestList,
            ["manifests"] = new JsonArray(
                new JsonObject
                {
                    ["mediaType"] = MediaTypes.DockerManifest,
                    ["digest"] = ChildDigest,
                    ["size"] = 7,
                    ["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" },
                }),
        };
        var document = Ok(Parse(list, MediaTypes.DockerManifestList));
        Assert.Equal(MediaTypes.DockerManifestList, document.MediaType);
        Assert.True(document.IsIndex);
        Assert.Equal(new Platform("amd64", "linux"), Assert.Single(document.Manifests).Platform);
    }

    [Fact]
    public void Artifact_with_artifactType_and_subject_is_parsed()
    {
        var manifest = OciManifest();
        manifest["artifactType"] = "application/vnd.example.sbom+json";
        manifest["config"] = Descriptor(MediaTypes.OciEmpty, Digest.Sha256("{}"u8).ToString(), 2);
        manifest["subject"] = Descriptor(MediaTypes.OciManifest, SubjectDigest, 1234);
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z" };

        var document = Ok(Parse(manifest, MediaTypes.OciManifest));
        Assert.Equal("application/vnd.example.sbom+json", document.ArtifactType);
        Assert.Equal("application/vnd.example.sbom+json", document.EffectiveArtifactType);
        Assert.Equal(new Descriptor(MediaTypes.OciManifest, Digest.Parse(SubjectDigest), 1234), document.Subject);
        Assert.Equal("2024-01-01T00:00:00Z", document.Annotations!["org.opencontainers.image.created"]);
        // The subject is not a blob the manifest needs.
        Assert.DoesNotContain(document.RequiredBlobs, d => d.Digest.ToString() == SubjectDigest);
    }

    [Fact]
    public void Index_with_artifactType_and_subject_is_parsed()
    {
        var index = OciIndex();
        index["artifactType"] = "application/vnd.example.bundle";
        index["subject"] = Descriptor(MediaTypes.OciManifest, SubjectDigest, 9);
        var document = Ok(Parse(index, MediaTypes.OciIndex));
        Assert.Equal("application/vnd.example.bundle", document.EffectiveArtifactType);
        Assert.Equal(Digest.Parse(SubjectDigest), document.Subject!.Digest);
    }

    [Fact]
    public void EffectiveArtifactType_falls_back_to_the_config_media_type_for_manifests()
    {
        var manifest = OciManifest();
        manifest["config"] = Descriptor("application/vnd.example.config.v1+json", ConfigDigest, 2);
        var document = Ok(Parse(manifest, MediaTypes.OciManifest));
        Assert.Null(document.ArtifactType);
        Assert.Equal("application/vnd.example.config.v1+json", document.EffectiveArtifactType);
    }

    [Fact]
    public void Descriptor_artifactType_and_annotations_are_kept()
    {
        var index = OciIndex();
        var child = (JsonObject)index["manifests"]![0]!;
        child["artifactType"] = "application/vnd.example.sig";
        child["annotations"] = new JsonObject { ["k"] = "v" };
        var parsed = Assert.Single(Ok(Parse(index, MediaTypes.OciIndex)).Manifests);
        Assert.Equal("application/vnd.example.sig", parsed.ArtifactType);
        Assert.Equal("v", parsed.Annotations!["k"]);
    }

    [Fact]
    public void RequiredBlobs_excludes_non_distributable_layers()
    {
        var manifest = OciManifest();
        manifest["layers"] = new JsonArray(
            Descriptor(MediaTypes.OciLayerTarGzip, LayerDigest, 5),
            Descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Digest.Sha256("nd"u8).ToString(), 5),
            Descriptor(MediaTypes.DockerForeignLayer, Digest.Sha256("foreign"u8).ToString(), 5));
        var document = Ok(Parse(manifest, MediaTypes.OciManifest));
        Assert.Equal(3, document.Layers.Count);
        Assert.Equal([ConfigDigest, LayerDigest], document.RequiredBlobs.Select(d => d.Digest.ToString()));
    }

    [Fact]
    public void Manifest_with_no_layers_is_accepted()
    {
        var manifest = OciManifest();
        manifest["layers"] = new JsonArray();
        var document = Ok(Parse(manifest, MediaTypes.OciManifest));
        Assert.Empty(document.Layers);
        Assert.Equal([ConfigDigest], document.RequiredBlobs.Select(d => d.Digest.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(MediaTypes.OctetStream)]
    [InlineData("application/json")]
    public void Content_type_that_does_not_name_a_manifest_type_defers_to_the_document(string? contentType)
    {
        Assert.Equal(MediaTypes.OciManifest, Ok(Parse(OciManifest(), contentType)).MediaType);
        Assert.Equal(MediaTypes.OciIndex, Ok(Parse(OciIndex(), contentType)).MediaType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(MediaTypes.OctetStream)]
    public void Media_type_is_inferred_from_the_shape_when_neither_side_declares_it(string? contentType)
    {
        var manifest = OciManifest();
        manifest.Remove("mediaType");
        Assert.Equal(MediaTypes.OciManifest, Ok(Parse(manifest, contentType)).MediaType);

        var index = OciIndex();
        index.Remove("mediaType");
        Assert.Equal(MediaTypes.OciIndex, Ok(Parse(index, contentType)).MediaType);
    }

    [Fact]
    public void Content_type_parameters_are_ignored()
    {
        Assert.True(Parse(OciManifest(), MediaTypes.OciManifest + "; charset=utf-8").IsSuccess);
        Assert.True(Parse(OciManifest(), " " + MediaTypes.OciManifest + " ").IsSuccess);
    }

    [Fact]
    public void Content_type_decides_when_the_document_has_no_mediaType()
    {
        var manifest = OciManifest();
        manifest.Remove("mediaType");
        Assert.Equal(MediaTypes.OciManifest, Ok(Parse(manifest, MediaTypes.OciManifest)).MediaType);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"schemaVersion\": 2,}")]
    [InlineData("[]")]
    [InlineData("[{\"schemaVersion\": 2}]")]
    [InlineData("null")]
    [InlineData("2")]
    [InlineData("\"manifest\"")]
    [InlineData("{}")]
    [InlineData("{\"schemaVersion\": 1, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\": \"2\", \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\": 2.5, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\": 99999999999, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"}")]
    public void Non_manifests_are_MANIFEST_INVALID(string json) => Fails(Parse(json, MediaTypes.OciManifest));

    [Theory]
    [InlineData("BETWEEN_TOKENS")]
    [InlineData("ANNOTATION_VALUE")]
    [InlineData("ANNOTATION_KEY")]
    [InlineData("MEDIA_TYPE")]
    [InlineData("DESCRIPTOR_MEDIA_TYPE")]
    [InlineData("PLATFORM_OS")]
    [InlineData("UNKNOWN_FIELD")]
    public void Invalid_utf8_is_MANIFEST_INVALID_wherever_it_is(string marker)
    {
        var json = $$"""
            { BETWEEN_TOKENS "schemaVersion": 2, "mediaType": "MEDIA_TYPE{{MediaTypes.OciIndex}}",
              "annotations": { "ANNOTATION_KEY": "ANNOTATION_VALUE" }, "x": "UNKNOWN_FIELD",
              "manifests": [ { "mediaType": "DESCRIPTOR_MEDIA_TYPE{{MediaTypes.OciManifest}}", "digest": "{{ChildDigest}}", "size": 1,
                               "platform": { "architecture": "amd64", "os": "PLATFORM_OS" } } ] }
            """;
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0);
        var bytes = new List<byte>();
        foreach (var m in new[] { "BETWEEN_TOKENS", "ANNOTATION_VALUE", "ANNOTATION_KEY", "MEDIA_TYPE", "DESCRIPTOR_MEDIA_TYPE", "PLATFORM_OS", "UNKNOWN_FIELD" })
        {
            if (m != marker)
            {
                json = json.Replace(m == "BETWEEN_TOKENS" ? m : "\"" + m, m == "BETWEEN_TOKENS" ? "" : "\"", StringComparison.Ordinal);
            }
        }

        // The same document with the marker left in is valid, so only the bad bytes can make it fail.
        if (marker is "ANNOTATION_KEY" or "ANNOTATION_VALUE" or "PLATFORM_OS" or "UNKNOWN_FIELD")
        {
            Ok(Parse(json, null));
        }

        at = json.IndexOf(marker, StringComparison.Ordinal);
        bytes.AddRange(Encoding.UTF8.GetBytes(json));
        bytes.InsertRange(Encoding.UTF8.GetByteCount(json.AsSpan(0, at)), [0xC3, 0x28]); // an invalid two-byte sequence
        var result = ManifestParser.Parse(bytes.ToArray(), null);
        if (marker == "UNKNOWN_FIELD")
        {
            // A field nobody reads may be let through or refused, but must not throw.
            Assert.True(result.IsSuccess || result.Error.Code == OciErrorCode.ManifestInvalid);
        }
        else
        {
            Fails(result);
        }
    }

    [Theory]
    [InlineData("annotation value")]
    [InlineData("annotation key")]
    [InlineData("mediaType")]
    [InlineData("artifactType")]
    public void Escaped_lone_surrogates_are_MANIFEST_INVALID(string where)
    {
        var bad = "x\\ud800y";
        var json = $$"""
            { "schemaVersion": 2, "mediaType": "{{(where == "mediaType" ? bad : MediaTypes.OciIndex)}}",
              "artifactType": "{{(where == "artifactType" ? "application/" + bad : "application/vnd.example")}}",
              "annotations": { "{{(where == "annotation key" ? bad : "k")}}": "{{(where == "annotation value" ? bad : "v")}}" },
              "manifests": [] }
            """;
        var result = Parse(json, null);
        if (where.StartsWith("annotation", StringComparison.Ordinal))
        {
            // Annotations are free text: a lone surrogate may be kept or refused, but must not throw.
            Assert.True(result.IsSuccess || result.Error.Code == OciErrorCode.ManifestInvalid);
        }
        else
        {
            Fails(result);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-2)]
    public void Schema_versions_other_than_2_are_rejected(int version)
    {
        var manifest = OciManifest();
        manifest["schemaVersion"] = version;
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Fact]
    public void Missing_schemaVersion_is_rejected()
    {
        var manifest = OciManifest();
        manifest.Remove("schemaVersion");
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData(MediaTypes.OciIndex)]
    [InlineData(MediaTypes.DockerManifest)]
    [InlineData(MediaTypes.OciConfig)]
    public void Content_type_must_match_the_declared_mediaType(string contentType) =>
        Fails(Parse(OciManifest(), contentType));

    [Theory]
    [InlineData("application/vnd.example.unknown+json")]
    [InlineData(MediaTypes.OciConfig)]
    [InlineData(MediaTypes.OciLayerTarGzip)]
    [InlineData("application/vnd.docker.distribution.manifest.v1+json")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws")]
    public void Unknown_manifest_media_types_are_rejected(string mediaType)
    {
        var manifest = OciManifest();
        manifest["mediaType"] = mediaType;
        Fails(Parse(manifest, mediaType));
        Fails(Parse(manifest, null));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/vnd.example.unknown+json")]
    public void Unknown_content_type_without_a_declared_mediaType_is_rejected(string contentType)
    {
        var manifest = OciManifest();
        manifest.Remove("mediaType");
        Fails(Parse(manifest, contentType));
    }

    [Fact]
    public void A_document_of_unknown_shape_without_any_media_type_is_rejected() =>
        Fails(Parse("{\"schemaVersion\": 2, \"layers\": []}", null));

    [Fact]
    public void Non_string_mediaType_is_rejected()
    {
        var manifest = OciManifest();
        manifest["mediaType"] = 42;
        Fails(Parse(manifest, null));
    }

    [Fact]
    public void Missing_config_is_rejected()
    {
        var manifest = OciManifest();
        manifest.Remove("config");
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"sha256:abc\"")]
    [InlineData("[]")]
    [InlineData("42")]
    public void Config_that_is_not_a_descriptor_is_rejected(string config)
    {
        var manifest = OciManifest();
        manifest["config"] = JsonNode.Parse(config);
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("\"layers\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void Layers_that_are_not_an_array_are_rejected(string? layers)
    {
        var manifest = OciManifest();
        if (layers is null)
        {
            manifest.Remove("layers");
        }
        else
        {
            manifest["layers"] = JsonNode.Parse(layers);
        }

        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[42]")]
    public void Index_manifests_that_are_not_an_array_of_descriptors_are_rejected(string? manifests)
    {
        var index = OciIndex();
        if (manifests is null)
        {
            index.Remove("manifests");
        }
        else
        {
            index["manifests"] = JsonNode.Parse(manifests);
        }

        Fails(Parse(index, MediaTypes.OciIndex));
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:../../etc")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("SHA256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("")]
    public void Descriptor_with_a_bad_digest_is_DIGEST_INVALID(string digest)
    {
        var layer = OciManifest();
        layer["layers"] = new JsonArray(Descriptor(MediaTypes.OciLayerTarGzip, digest));
        Fails(Parse(layer, MediaTypes.OciManifest), OciErrorCode.DigestInvalid);

        var config = OciManifest();
        config["config"] = Descriptor(MediaTypes.OciConfig, digest);
        Fails(Parse(config, MediaTypes.OciManifest), OciErrorCode.DigestInvalid);

        var child = OciIndex();
        child["manifests"] = new JsonArray(Descriptor(MediaTypes.OciManifest, digest));
        Fails(Parse(child, MediaTypes.OciIndex), OciErrorCode.DigestInvalid);

        var subject = OciManifest();
        subject["subject"] = Descriptor(MediaTypes.OciManifest, digest);
        Fails(Parse(subject, MediaTypes.OciManifest), OciErrorCode.DigestInvalid);
    }

    [Fact]
    public void Descriptor_without_a_digest_or_with_a_non_string_digest_is_DIGEST_INVALID()
    {
        var missing = OciManifest();
        ((JsonObject)missing["config"]!).Remove("digest");
        Fails(Parse(missing, MediaTypes.OciManifest), OciErrorCode.DigestInvalid);

        var number = OciManifest();
        number["config"]!["digest"] = 12;
        Fails(Parse(number, MediaTypes.OciManifest), OciErrorCode.DigestInvalid);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"10\"")]
    [InlineData("null")]
    [InlineData("1e400")]
    [InlineData("99999999999999999999")]
    public void Descriptor_size_must_be_a_non_negative_integer(string size)
    {
        var manifest = OciManifest();
        manifest["layers"]![0]!["size"] = JsonNode.Parse(size);
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Fact]
    public void Descriptor_without_a_size_is_rejected()
    {
        var manifest = OciManifest();
        ((JsonObject)manifest["layers"]![0]!).Remove("size");
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("nonsense")]
    [InlineData("application/")]
    [InlineData("/json")]
    [InlineData("a/b/c")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json\n")]
    public void Descriptor_media_type_must_be_well_formed(string? mediaType)
    {
        var manifest = OciManifest();
        if (mediaType is null)
        {
            ((JsonObject)manifest["layers"]![0]!).Remove("mediaType");
        }
        else
        {
            manifest["layers"]![0]!["mediaType"] = mediaType;
        }

        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("{\"nested\": \"x\"}")]
    [InlineData("[\"x\"]")]
    public void Annotations_with_non_string_values_are_rejected(string value)
    {
        var manifest = OciManifest();
        manifest["annotations"] = new JsonObject { ["ok"] = "fine", ["bad"] = JsonNode.Parse(value) };
        Fails(Parse(manifest, MediaTypes.OciManifest));

        var layer = OciManifest();
        layer["layers"]![0]!["annotations"] = new JsonObject { ["bad"] = JsonNode.Parse(value) };
        Fails(Parse(layer, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("1")]
    public void Annotations_that_are_not_an_object_are_rejected(string value)
    {
        var manifest = OciManifest();
        manifest["annotations"] = JsonNode.Parse(value);
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("\"not a media type\"")]
    [InlineData("42")]
    [InlineData("\"application/\"")]
    public void Malformed_artifactType_is_rejected(string value)
    {
        var manifest = OciManifest();
        manifest["artifactType"] = JsonNode.Parse(value);
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("\"sha256:abc\"")]
    [InlineData("[]")]
    public void Subject_that_is_not_a_descriptor_is_rejected(string value)
    {
        var manifest = OciManifest();
        manifest["subject"] = JsonNode.Parse(value);
        Fails(Parse(manifest, MediaTypes.OciManifest));
    }

    [Theory]
    [InlineData("{\"os\": \"linux\"}")]
    [InlineData("{\"architecture\": \"amd64\"}")]
    [InlineData("{\"architecture\": 1, \"os\": \"linux\"}")]
    [InlineData("\"linux/amd64\"")]
    public void Platform_without_architecture_and_os_is_rejected(string platform)
    {
        var index = OciIndex();
        index["manifests"]![0]!["platform"] = JsonNode.Parse(platform);
        Fails(Parse(index, MediaTypes.OciIndex));
    }

    [Theory]
    [InlineData(MediaTypes.DockerManifest)]
    [InlineData(MediaTypes.DockerManifestList)]
    public void Docker_types_without_a_mediaType_field_are_rejected(string contentType)
    {
        var document = contentType == MediaTypes.DockerManifest ? OciManifest() : OciIndex();
        document.Remove("mediaType");
        Fails(Parse(document, contentType));
    }

    [Fact]
    public void Nesting_deeper_than_32_levels_is_rejected_without_crashing()
    {
        foreach (var depth in new[] { 33, 40, 100, 10_000, 1_000_000 })
        {
            var json = "{\"schemaVersion\": 2, \"mediaType\": \"" + MediaTypes.OciManifest + "\", \"annotations\": "
                + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}";
            Fails(Parse(json, MediaTypes.OciManifest));

            var arrays = "{\"schemaVersion\": 2, \"layers\": " + new string('[', depth) + new string(']', depth) + "}";
            Fails(Parse(arrays, null));
        }
    }

    [Fact]
    public void Moderate_nesting_in_unknown_fields_is_accepted()
    {
        var manifest = OciManifest();
        JsonNode nested = "leaf";
        for (var i = 0; i < 20; i++)
        {
            nested = new JsonObject { ["x"] = nested };
        }

        manifest["extension"] = nested;
        Ok(Parse(manifest, MediaTypes.OciManifest));
    }

    [Fact]
    public void Unknown_top_level_fields_are_ignored()
    {
        var manifest = OciManifest();
        manifest["x-vendor"] = new JsonArray(1, 2, 3);
        Ok(Parse(manifest, MediaTypes.OciManifest));
    }
}
