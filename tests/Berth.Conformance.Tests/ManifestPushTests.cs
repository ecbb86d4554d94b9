using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Push workflow for manifests: tags and digests, indexes and lists, artifacts and subjects, limits and rejects.</summary>
public sealed class ManifestPushTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const int FourMiB = 4 * 1024 * 1024;

    private RegistryApi Api => registry.Api;

    /// <summary>A 201 for a manifest: digest header, pullable Location that serves the same bytes and type.</summary>
    private async Task AssertManifestCreatedAsync(HttpResponseMessage response, Manifest manifest)
    {
        await Check.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(manifest.Digest, Check.RequiredHeader(response, "Docker-Content-Digest"));
        var location = Check.Location(response);
        using var get = await Api.SendAsync(HttpMethod.Get, location, configure: r =>
        {
            foreach (var t in RegistryApi.AllManifestTypes)
            {
                r.Headers.Accept.ParseAdd(t);
            }
        });
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(manifest.MediaType, get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(manifest.Bytes, await get.Content.ReadAsByteArrayAsync());
    }

    private async Task AssertManifestAbsentAsync(string repo, string reference)
    {
        using var head = await Api.HeadManifestAsync(repo, reference);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PUT_by_tag_returns_201_Location_and_digest_and_stores_the_exact_bytes()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        using var put = await Api.PutManifestAsync(repo, "v1", image.Manifest);
        await AssertManifestCreatedAsync(put, image.Manifest);
        using var byDigest = await Api.GetManifestAsync(repo, image.Manifest.Digest);
        Assert.Equal(image.Manifest.Bytes, await byDigest.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PUT_by_digest_returns_201_Location_and_digest()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        using var put = await Api.PutManifestAsync(repo, image.Manifest.Digest, image.Manifest);
        await AssertManifestCreatedAsync(put, image.Manifest);
    }

    [Fact]
    public async Task PUT_by_a_digest_that_does_not_match_the_body_is_400_and_stores_nothing()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        var wrong = Digests.Random();
        using var put = await Api.PutManifestAsync(repo, wrong, image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID", "MANIFEST_INVALID");
        await AssertManifestAbsentAsync(repo, wrong);
        await AssertManifestAbsentAsync(repo, image.Manifest.Digest);
    }

    [Fact]
    public async Task PUT_by_a_malformed_digest_is_400_with_a_spec_error_code()
    {
        // Official suite: PUT manifests/sha256:totallywrong with an invalid body → 400 with an OCI error code.
        var repo = Repo.New("mput");
        using var put = await Api.PutManifestAsync(repo, "sha256:totallywrong", "blablabla"u8.ToArray(), MediaTypes.OciManifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID", "MANIFEST_INVALID", "TAG_INVALID", "NAME_INVALID");
    }

    [Fact]
    public async Task The_same_manifest_can_be_tagged_many_times()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        for (var i = 0; i < 4; i++)
        {
            using var put = await Api.PutManifestAsync(repo, $"test{i}", image.Manifest);
            await AssertManifestCreatedAsync(put, image.Manifest);
        }

        Assert.Equal(["test0", "test1", "test2", "test3"], await Api.TagsAsync(repo));
    }

    [Fact]
    public async Task Retagging_moves_the_tag_and_keeps_the_old_manifest_by_digest()
    {
        var repo = Repo.New("mput");
        var a = Build.OciImage();
        var b = Build.OciImage();
        await Api.PushImageAsync(repo, a, "moving");
        await Api.PushImageAsync(repo, b, "moving");
        using var tag = await Api.GetManifestAsync(repo, "moving");
        Assert.Equal(b.Manifest.Bytes, await tag.Content.ReadAsByteArrayAsync());
        using var old = await Api.GetManifestAsync(repo, a.Manifest.Digest);
        await Check.StatusAsync(old, HttpStatusCode.OK);
        Assert.Equal(a.Manifest.Bytes, await old.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Manifest_with_a_missing_layer_is_400_MANIFEST_BLOB_UNKNOWN_and_not_stored()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage(layers: 2);
        await Api.PushBlobsAsync(repo, [image.Config, image.Layers[0]]);
        using var put = await Api.PutManifestAsync(repo, "v1", image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertManifestAbsentAsync(repo, "v1");
        await AssertManifestAbsentAsync(repo, image.Manifest.Digest);
    }

    [Fact]
    public async Task Manifest_with_a_missing_config_is_400_MANIFEST_BLOB_UNKNOWN()
    {
        var repo = Repo.New("mput");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Layers);
        using var put = await Api.PutManifestAsync(repo, "v1", image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertManifestAbsentAsync(repo, "v1");
    }

    [Fact]
    public async Task Docker_manifest_with_a_missing_layer_is_400_MANIFEST_BLOB_UNKNOWN()
    {
        var repo = Repo.New("mput");
        var image = Build.DockerImage();
        await Api.PushBlobAsync(repo, image.Config);
        using var put = await Api.PutManifestAsync(repo, "v1", image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertManifestAbsentAsync(repo, "v1");
    }

    [Fact]
    public async Task Docker_schema2_manifest_is_accepted()
    {
        var repo = Repo.New("mput");
        var image = Build.DockerImage(layers: 2);
        await Api.PushBlobsAsync(repo, image.Blobs);
        using var put = await Api.PutManifestAsync(repo, "docker", image.Manifest);
        await AssertManifestCreatedAsync(put, image.Manifest);
    }

    [Fact]
    public async Task OCI_image_index_is_accepted_and_served_with_its_media_type()
    {
        var repo = Repo.New("index");
        var amd = Build.OciImage();
        var arm = Build.OciImage();
        await Api.PushImageAsync(repo, amd, tag: null);
        await Api.PushImageAsync(repo, arm, tag: null);
        var index = Build.OciIndex([amd.Manifest, arm.Manifest], new JsonObject { ["org.example.kind"] = "index" });
        using var put = await Api.PutManifestAsync(repo, "multi", index);
        await AssertManifestCreatedAsync(put, index);
        using var head = await Api.HeadManifestAsync(repo, index.Digest);
        await Check.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(MediaTypes.OciIndex, head.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Docker_manifest_list_is_accepted_and_served_with_its_media_type()
    {
        var repo = Repo.New("list");
        var amd = Build.DockerImage();
        var arm = Build.DockerImage();
        await Api.PushImageAsync(repo, amd, tag: null);
        await Api.PushImageAsync(repo, arm, tag: null);
        var list = Build.DockerManifestList([amd.Manifest, arm.Manifest]);
        using var put = await Api.PutManifestAsync(repo, "multi", list);
        await AssertManifestCreatedAsync(put, list);
    }

    [Fact]
    public async Task Nested_index_is_accepted()
    {
        var repo = Repo.New("index");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, tag: null);
        var inner = Build.OciIndex([image.Manifest]);
        await Api.PushManifestAsync(repo, inner.Digest, inner);
        var outer = Build.OciIndex([inner]);
        using var put = await Api.PutManifestAsync(repo, "nested", outer);
        await AssertManifestCreatedAsync(put, outer);
    }

    [Fact]
    public async Task Index_with_a_missing_child_manifest_is_400_MANIFEST_BLOB_UNKNOWN()
    {
        var repo = Repo.New("index");
        var present = Build.OciImage();
        var missing = Build.OciImage();
        await Api.PushImageAsync(repo, present, tag: null);
        await Api.PushBlobsAsync(repo, missing.Blobs); // blobs exist, the child manifest does not
        var index = Build.OciIndex([present.Manifest, missing.Manifest]);
        using var put = await Api.PutManifestAsync(repo, "broken", index);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertManifestAbsentAsync(repo, "broken");
        await AssertManifestAbsentAsync(repo, index.Digest);
    }

    [Fact]
    public async Task Docker_list_with_a_missing_child_manifest_is_400_MANIFEST_BLOB_UNKNOWN()
    {
        var repo = Repo.New("list");
        var missing = Build.DockerImage();
        await Api.PushBlobsAsync(repo, missing.Blobs);
        var list = Build.DockerManifestList([missing.Manifest]);
        using var put = await Api.PutManifestAsync(repo, "broken", list);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertManifestAbsentAsync(repo, "broken");
    }

    [Fact]
    public async Task Manifest_without_layers_is_accepted()
    {
        var repo = Repo.New("nolayers");
        var config = Blob.Config();
        await Api.PushBlobAsync(repo, config);
        var manifest = Build.OciManifest(config, []);
        using var put = await Api.PutManifestAsync(repo, "empty", manifest);
        await AssertManifestCreatedAsync(put, manifest);
    }

    [Theory]
    [InlineData(MediaTypes.OciLayerTar)]
    [InlineData(MediaTypes.OciLayerGzip)]
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd")]
    [InlineData("application/vnd.oci.image.layer.nondistributable.v1.tar")]
    [InlineData("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")]
    [InlineData("application/vnd.example.custom.layer")]
    public async Task Layer_media_types_are_accepted(string layerType)
    {
        var repo = Repo.New("layertypes");
        var config = Blob.Config();
        var layer = Blob.Random(256, layerType);
        await Api.PushBlobsAsync(repo, [config, layer]);
        var manifest = Build.OciManifest(config, [layer]);
        using var put = await Api.PutManifestAsync(repo, "v1", manifest);
        await AssertManifestCreatedAsync(put, manifest);
    }

    [Fact]
    public async Task Descriptor_data_field_and_unknown_fields_are_accepted_and_returned_verbatim()
    {
        var repo = Repo.New("fields");
        var config = Blob.Config();
        var layer = Blob.Random(64);
        await Api.PushBlobsAsync(repo, [config, layer]);
        var configDescriptor = config.Descriptor();
        configDescriptor["data"] = Convert.ToBase64String(config.Bytes);
        configDescriptor["org.example.unknown"] = "kept";
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = configDescriptor,
            ["layers"] = new JsonArray(layer.Descriptor()),
            ["org.example.extension"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) },
        };
        var manifest = Manifest.FromJson(json, MediaTypes.OciManifest);
        using var put = await Api.PutManifestAsync(repo, "fields", manifest);
        await AssertManifestCreatedAsync(put, manifest);
    }

    [Fact]
    public async Task Empty_index_is_accepted()
    {
        var repo = Repo.New("index");
        var index = Build.OciIndex([]);
        using var put = await Api.PutManifestAsync(repo, "empty", index);
        await AssertManifestCreatedAsync(put, index);
    }

    [Fact]
    public async Task Artifact_manifest_with_artifactType_and_empty_config_is_accepted()
    {
        var repo = Repo.New("artifact");
        var empty = Blob.EmptyJson();
        var layer = Blob.FromString("sbom " + Guid.NewGuid(), "application/vnd.example.sbom.v1+json");
        await Api.PushBlobsAsync(repo, [empty, layer]);
        var manifest = Build.OciManifest(empty, [layer], artifactType: "application/vnd.example.sbom.v1");
        using var put = await Api.PutManifestAsync(repo, "sbom", manifest);
        await AssertManifestCreatedAsync(put, manifest);
    }

    [Fact]
    public async Task Manifest_with_a_subject_answers_OCI_Subject()
    {
        var repo = Repo.New("subject");
        var subject = Build.OciImage();
        await Api.PushImageAsync(repo, subject, "v1");
        var (artifact, blobs) = Build.Artifact(subject.Manifest, "application/vnd.example.sig", "sig");
        await Api.PushBlobsAsync(repo, blobs);
        using var put = await Api.PutManifestAsync(repo, artifact.Digest, artifact);
        await AssertManifestCreatedAsync(put, artifact);
        Assert.Equal(subject.Manifest.Digest, Check.Header(put, "OCI-Subject"));
    }

    [Fact]
    public async Task Manifest_with_a_subject_that_does_not_exist_is_accepted_with_OCI_Subject()
    {
        var repo = Repo.New("subject");
        var subject = Build.OciImage(); // never pushed
        var (artifact, blobs) = Build.Artifact(subject.Manifest, "application/vnd.example.sig", "dangling");
        await Api.PushBlobsAsync(repo, blobs);
        using var put = await Api.PutManifestAsync(repo, artifact.Digest, artifact);
        await AssertManifestCreatedAsync(put, artifact);
        Assert.Equal(subject.Manifest.Digest, Check.Header(put, "OCI-Subject"));
    }

    [Fact]
    public async Task Manifest_of_exactly_4_MiB_is_accepted()
    {
        var repo = Repo.New("big");
        var (manifest, blobs) = await PaddedManifestAsync(repo, FourMiB);
        Assert.Equal(FourMiB, manifest.Bytes.Length);
        using var put = await Api.PutManifestAsync(repo, "big", manifest);
        await AssertManifestCreatedAsync(put, manifest);
        Assert.NotEmpty(blobs);
    }

    [Fact]
    public async Task Manifest_over_4_MiB_is_413_and_not_stored()
    {
        var repo = Repo.New("big");
        var (manifest, _) = await PaddedManifestAsync(repo, FourMiB + 1);
        using var put = await Api.PutManifestAsync(repo, "toobig", manifest);
        await Check.ErrorAsync(put, HttpStatusCode.RequestEntityTooLarge, "MANIFEST_INVALID", "SIZE_INVALID");
        await AssertManifestAbsentAsync(repo, "toobig");
        await AssertManifestAbsentAsync(repo, manifest.Digest);
    }

    /// <summary>An image manifest padded with an annotation to exactly <paramref name="size"/> bytes; its blobs are pushed.</summary>
    private async Task<(Manifest Manifest, Blob[] Blobs)> PaddedManifestAsync(string repo, int size)
    {
        var config = Blob.Config();
        var layer = Blob.Random(100);
        await Api.PushBlobsAsync(repo, [config, layer]);
        string Json(int pad) => new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray(layer.Descriptor()),
            ["annotations"] = new JsonObject { ["org.example.padding"] = new string('a', pad) },
        }.ToJsonString();
        var overhead = Encoding.UTF8.GetByteCount(Json(0));
        var bytes = Encoding.UTF8.GetBytes(Json(size - overhead));
        Assert.Equal(size, bytes.Length);
        return (new Manifest(bytes, MediaTypes.OciManifest), [config, layer]);
    }

    [Fact]
    public async Task Invalid_JSON_is_400_MANIFEST_INVALID_and_not_stored()
    {
        var repo = Repo.New("invalid");
        await Api.PushBlobAsync(repo, Blob.Random(1));
        var body = "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", "u8.ToArray();
        using var put = await Api.PutManifestAsync(repo, "bad", body, MediaTypes.OciManifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertManifestAbsentAsync(repo, "bad");
        await AssertManifestAbsentAsync(repo, Digests.Sha256(body));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Wrong_schemaVersion_is_400_MANIFEST_INVALID(int schemaVersion)
    {
        var repo = Repo.New("invalid");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        var json = JsonNode.Parse(image.Manifest.Bytes)!.AsObject();
        json["schemaVersion"] = schemaVersion;
        var manifest = Manifest.FromJson(json, MediaTypes.OciManifest);
        using var put = await Api.PutManifestAsync(repo, "bad", manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertManifestAbsentAsync(repo, "bad");
    }

    [Fact]
    public async Task Content_Type_that_differs_from_the_mediaType_field_is_400_MANIFEST_INVALID()
    {
        var repo = Repo.New("invalid");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        using var put = await Api.PutManifestAsync(repo, "bad", image.Manifest, contentType: MediaTypes.DockerManifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertManifestAbsentAsync(repo, "bad");
    }

    [Fact]
    public async Task Index_sent_as_an_image_manifest_is_400_MANIFEST_INVALID()
    {
        var repo = Repo.New("invalid");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, tag: null);
        var index = Build.OciIndex([image.Manifest]);
        using var put = await Api.PutManifestAsync(repo, "bad", index, contentType: MediaTypes.OciManifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertManifestAbsentAsync(repo, "bad");
    }

    [Fact]
    public async Task Unknown_manifest_media_type_is_rejected_and_not_stored()
    {
        var repo = Repo.New("invalid");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        const string unknown = "application/vnd.example.not-a-manifest.v1+json";
        var json = JsonNode.Parse(image.Manifest.Bytes)!.AsObject();
        json["mediaType"] = unknown;
        var manifest = Manifest.FromJson(json, unknown);
        using var put = await Api.PutManifestAsync(repo, "bad", manifest);
        await Check.ErrorAsync(put, [HttpStatusCode.BadRequest, HttpStatusCode.UnsupportedMediaType], "MANIFEST_INVALID", "UNSUPPORTED");
        await AssertManifestAbsentAsync(repo, "bad");
    }

    [Fact]
    public async Task Manifest_whose_descriptor_size_disagrees_with_the_blob_is_rejected()
    {
        var repo = Repo.New("invalid");
        var config = Blob.Config();
        var layer = Blob.Random(1000);
        await Api.PushBlobsAsync(repo, [config, layer]);
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = MediaTypes.OciLayerGzip, ["digest"] = layer.Digest, ["size"] = 999 }),
        };
        using var put = await Api.PutManifestAsync(repo, "bad", Manifest.FromJson(json, MediaTypes.OciManifest));
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "SIZE_INVALID");
        await AssertManifestAbsentAsync(repo, "bad");
    }
}
