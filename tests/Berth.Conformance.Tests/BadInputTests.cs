using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Conformance.Tests.Support;
using Berth.Testing;

namespace Berth.Conformance.Tests;

/// <summary>
/// SPEC §8: hostile or broken input gets a clear error and loses nothing. Each test asserts the status (and the spec's
/// error code when the body is the spec's error JSON) and that nothing was stored.
/// </summary>
public sealed class BadInputTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly int[] RejectedTraversal = [301, 308, 400, 404];

    private static readonly string[] TraversalCodes =
        ["NAME_INVALID", "NAME_UNKNOWN", "DIGEST_INVALID", "BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID", "MANIFEST_INVALID"];

    private RegistryApi Api => registry.Api;

    private int Port => registry.Port;

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>A unique file name that a naive path join would create somewhere above the data directory.</summary>
    private static string Canary() => "berth-canary-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// The canary exists nowhere from the data directory up to the root, nor in the temp directory, nor in any key the
    /// registry stored (on S3, a traversal would land in the bucket's key space rather than on disk).
    /// </summary>
    private async Task AssertCanaryAbsentAsync(string canary)
    {
        var dirs = new List<string>();
        for (var d = new DirectoryInfo(registry.Server.DataDir); d is not null; d = d.Parent)
        {
            dirs.Add(d.FullName);
        }

        dirs.Add(Path.GetTempPath());
        foreach (var dir in dirs)
        {
            var path = Path.Combine(dir, canary);
            Assert.False(File.Exists(path) || Directory.Exists(path), $"traversal created {path}");
        }

        var keys = (await StoredObjects.Of(registry.Server).ListAsync("")).Where(o => o.Key.Contains(canary, StringComparison.Ordinal)).ToList();
        Assert.True(keys.Count == 0, $"traversal stored {string.Join(", ", keys)}");
    }

    private Task<List<string>> CatalogAsync() => DiscoveryTests.FullCatalogAsync(Api);

    private async Task AssertNotInCatalogAsync(string fragment)
    {
        var hits = (await CatalogAsync()).Where(r => r.Contains(fragment, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(hits.Count == 0, $"catalog lists {string.Join(", ", hits)}");
    }

    private static void AssertRejected(RawResponse response, int[] statuses, string[] codes)
    {
        Assert.True(response.Status is not null && statuses.Contains(response.Status.Value), $"expected {string.Join("/", statuses)}, got {response}");
        var found = response.ErrorCodes;
        Assert.True(found.Count == 0 || found.Any(codes.Contains), $"unexpected error codes [{string.Join(", ", found)}] in {response}");
    }

    private static async Task AssertRejectedAsync(HttpResponseMessage response, HttpStatusCode[] statuses, params string[] codes)
    {
        await Check.StatusAsync(response, statuses);
        var found = await Check.ErrorCodesAsync(response);
        Assert.True(found.Count == 0 || found.Any(codes.Contains), $"{Check.Describe(response)}: unexpected error codes [{string.Join(", ", found)}]");
    }

    private async Task AssertBlobAbsentAsync(string repo, string digest)
    {
        using var head = await Api.HeadBlobAsync(repo, digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    // ---- path traversal ------------------------------------------------------------------------------------------

    public static TheoryData<string> NameTraversals => new()
    {
        "/v2/../../../../../../../../tmp/{canary}/blobs/uploads/?digest={digest}",
        "/v2/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{canary}/blobs/uploads/?digest={digest}",
        "/v2/..%2f..%2f..%2f..%2f..%2f..%2f{canary}/blobs/uploads/?digest={digest}",
        "/v2/..%2F..%2F..%2F..%2F..%2F..%2F{canary}/blobs/uploads/?digest={digest}",
        "/v2/a%2f..%2f..%2f..%2f..%2f..%2f{canary}/blobs/uploads/?digest={digest}",
        "/v2/a/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f{canary}/blobs/uploads/?digest={digest}",
        "/v2/..\\..\\..\\..\\{canary}/blobs/uploads/?digest={digest}",
        "/v2/%2e%2e%5c%2e%2e%5c%2e%2e%5c{canary}/blobs/uploads/?digest={digest}",
    };

    [Theory]
    [MemberData(nameof(NameTraversals))]
    public async Task Traversal_in_the_repository_name_of_a_blob_push_is_rejected_and_stores_nothing(string template)
    {
        var canary = Canary();
        var blob = Blob.Random(64);
        var target = template.Replace("{canary}", canary, StringComparison.Ordinal).Replace("{digest}", blob.Digest, StringComparison.Ordinal);
        var response = await RawHttp.SendAsync(Port, "POST", target, ["Content-Type: application/octet-stream"], blob.Bytes);
        AssertRejected(response, RejectedTraversal, TraversalCodes);
        await AssertCanaryAbsentAsync(canary);
        await AssertNotInCatalogAsync(canary);
        await AssertBlobAbsentAsync(canary, blob.Digest);
    }

    [Theory]
    [InlineData("/v2/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{canary}/manifests/latest")]
    [InlineData("/v2/..%2f..%2f..%2f..%2f{canary}/manifests/latest")]
    [InlineData("/v2/../../../../{canary}/manifests/latest")]
    public async Task Traversal_in_the_repository_name_of_a_manifest_push_is_rejected_and_stores_nothing(string template)
    {
        var canary = Canary();
        var config = Blob.Config();
        var manifest = Build.OciManifest(config, []);
        var target = template.Replace("{canary}", canary, StringComparison.Ordinal);
        var response = await RawHttp.SendAsync(Port, "PUT", target, [$"Content-Type: {MediaTypes.OciManifest}"], manifest.Bytes);
        AssertRejected(response, RejectedTraversal, TraversalCodes);
        await AssertCanaryAbsentAsync(canary);
        await AssertNotInCatalogAsync(canary);
    }

    [Theory]
    [InlineData("/v2/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/v2/{repo}/blobs/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/blobs/sha256:..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/blobs/sha256%3a..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/manifests/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/manifests/sha256:..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/blobs/uploads/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/v2/{repo}/referrers/sha256:..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")]
    public async Task Traversal_on_reads_leaks_nothing(string template)
    {
        var repo = Repo.New("traversal");
        await Api.PushImageAsync(repo, Build.OciImage());
        var response = await RawHttp.SendAsync(Port, "GET", template.Replace("{repo}", repo, StringComparison.Ordinal));
        AssertRejected(response, RejectedTraversal, TraversalCodes);
        Assert.DoesNotContain("root:", response.BodyText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task Traversal_in_an_upload_id_is_rejected_and_stores_nothing(string method)
    {
        var repo = Repo.New("traversal");
        var session = await Api.StartUploadAsync(repo); // a real session exists in this repository
        var canary = Canary();
        var blob = Blob.Random(64);
        foreach (var id in new[] { $"..%2f..%2f..%2f..%2f..%2f..%2f{canary}", $"%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f{canary}", $"..%5c..%5c..%5c{canary}" })
        {
            var target = $"/v2/{repo}/blobs/uploads/{id}" + (method == "PUT" ? $"?digest={blob.Digest}" : "");
            var response = await RawHttp.SendAsync(Port, method, target, ["Content-Type: application/octet-stream", "Content-Range: 0-63"], blob.Bytes);
            AssertRejected(response, RejectedTraversal, TraversalCodes);
            await AssertCanaryAbsentAsync(canary);
        }

        await AssertBlobAbsentAsync(repo, blob.Digest);
        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent);
        Assert.True(Check.UploadOffset(status) <= 0, "the real session was written to");
    }

    [Fact]
    public async Task Traversal_in_the_digest_of_an_upload_is_400_DIGEST_INVALID_and_stores_nothing()
    {
        var repo = Repo.New("traversal");
        var canary = Canary();
        var blob = Blob.Random(64);
        var session = await Api.StartUploadAsync(repo);
        var target = session.PathAndQuery + (string.IsNullOrEmpty(session.Query) ? "?" : "&") + $"digest=sha256:..%2f..%2f..%2f..%2f..%2f{canary}";
        var response = await RawHttp.SendAsync(Port, "PUT", target, ["Content-Type: application/octet-stream"], blob.Bytes);
        AssertRejected(response, [400], ["DIGEST_INVALID"]);
        await AssertCanaryAbsentAsync(canary);
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Encoded_slash_in_a_name_is_rejected_or_means_the_same_repository()
    {
        var leaf = $"enc-{Guid.NewGuid():N}";
        var blob = Blob.Random(64);
        var response = await RawHttp.SendAsync(Port, "POST", $"/v2/conformance%2F{leaf}/blobs/uploads/?digest={blob.Digest}", ["Content-Type: application/octet-stream"], blob.Bytes);
        if (response.Status is >= 200 and < 300)
        {
            // Accepted: then it must be the repository conformance/<leaf>, not a name holding a literal "%2F".
            if (response.Status == 202)
            {
                // No single-POST support: finish through the session it opened.
                var location = new Uri(registry.BaseUri, response.Header("location")!);
                using var finish = await Api.PutUploadAsync(location, blob.Digest, blob.Bytes);
                await Check.StatusAsync(finish, HttpStatusCode.Created);
            }
            else
            {
                Assert.Equal(201, response.Status);
            }

            using var get = await Api.GetBlobAsync($"conformance/{leaf}", blob.Digest);
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        }
        else
        {
            AssertRejected(response, [400, 404], TraversalCodes);
            await AssertBlobAbsentAsync($"conformance/{leaf}", blob.Digest);
            await AssertNotInCatalogAsync(leaf);
        }
    }

    // ---- names and tags ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("UPPER")]
    [InlineData("conformance/MixedCase")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData("a___b")]
    [InlineData("a/-b")]
    [InlineData("a@b")]
    [InlineData("a%20b")]
    [InlineData("a:b")]
    [InlineData("a+b")]
    public async Task Invalid_repository_name_is_400_NAME_INVALID_on_push_and_stores_nothing(string name)
    {
        var blob = Blob.Random(64);
        using var post = await Api.SendAsync(HttpMethod.Post, $"v2/{name}/blobs/uploads/?digest={blob.Digest}", RegistryApi.Octets(blob.Bytes));
        await Check.ErrorAsync(post, HttpStatusCode.BadRequest, "NAME_INVALID");
        using var session = await Api.PostUploadAsync(name);
        await Check.ErrorAsync(session, HttpStatusCode.BadRequest, "NAME_INVALID");

        var config = Blob.Config();
        using var manifest = await Api.PutManifestAsync(name, "latest", Build.OciManifest(config, []));
        await Check.ErrorAsync(manifest, HttpStatusCode.BadRequest, "NAME_INVALID");

        var decoded = Uri.UnescapeDataString(name);
        var catalog = await CatalogAsync();
        Assert.DoesNotContain(decoded, catalog);
        Assert.DoesNotContain(decoded.ToLowerInvariant(), catalog);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("a-b")]
    [InlineData("a--b")]
    [InlineData("a_b")]
    [InlineData("a__b")]
    [InlineData("a.b")]
    [InlineData("a1.b2-c3_d4")]
    [InlineData("a/b/c/d")]
    public async Task Valid_repository_names_are_accepted(string leaf)
    {
        var repo = $"conformance/valid-{Guid.NewGuid():N}/{leaf}";
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, "v1");
        using var get = await Api.GetManifestAsync(repo, "v1");
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Contains(repo, await CatalogAsync());
    }

    [Fact]
    public async Task Over_long_repository_name_is_400_NAME_INVALID_and_a_long_valid_one_works()
    {
        var prefix = $"conformance/long-{Guid.NewGuid():N}/";
        var tooLong = prefix + new string('a', 256 - prefix.Length);
        Assert.Equal(256, tooLong.Length);
        var blob = Blob.Random(64);
        using var post = await Api.PostUploadAsync(tooLong);
        await Check.ErrorAsync(post, HttpStatusCode.BadRequest, "NAME_INVALID");
        using var manifest = await Api.PutManifestAsync(tooLong, "latest", Build.OciManifest(Blob.Config(), []));
        await Check.ErrorAsync(manifest, HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertNotInCatalogAsync(prefix);

        var longButValid = prefix + new string('b', 200 - prefix.Length);
        await Api.PushBlobAsync(longButValid, blob);
        using var head = await Api.HeadBlobAsync(longButValid, blob.Digest);
        await Check.StatusAsync(head, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(129, "x")]
    [InlineData(1, "-lead")]
    [InlineData(1, ".lead")]
    [InlineData(1, "a+b")]
    [InlineData(1, "a%2Fb")]
    public async Task Invalid_tag_is_rejected_and_not_stored(int repeat, string tag)
    {
        var repo = Repo.New("tags");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, "valid");
        var reference = repeat > 1 ? new string(tag[0], repeat) : tag;
        using var put = await Api.PutManifestAsync(repo, reference, image.Manifest);
        await AssertRejectedAsync(put, [HttpStatusCode.BadRequest, HttpStatusCode.NotFound], "TAG_INVALID", "MANIFEST_INVALID", "NAME_INVALID", "DIGEST_INVALID", "MANIFEST_UNKNOWN");
        Assert.Equal(["valid"], await Api.TagsAsync(repo));
    }

    [Fact]
    public async Task Tag_of_128_characters_is_accepted()
    {
        var repo = Repo.New("tags");
        var image = Build.OciImage();
        var tag = "T" + new string('t', 127);
        await Api.PushImageAsync(repo, image, tag);
        using var get = await Api.GetManifestAsync(repo, tag);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal([tag], await Api.TagsAsync(repo));
    }

    // ---- digests -------------------------------------------------------------------------------------------------

    public static TheoryData<string> MalformedDigests => new()
    {
        "sha256:xyz",
        "sha256:" + new string('a', 63),
        "sha256:" + new string('a', 65),
        "sha256:" + new string('A', 64),
        "sha256:" + new string('g', 64),
        "sha512:" + new string('a', 64),
        "foo:" + new string('a', 64),
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256",
        "sha256:",
        ":" + new string('a', 64),
    };

    [Theory]
    [MemberData(nameof(MalformedDigests))]
    public async Task Malformed_digest_on_blob_reads_is_400_DIGEST_INVALID_or_404(string digest)
    {
        var repo = Repo.New("digest");
        await Api.PushBlobAsync(repo, Blob.Random(8));
        using var get = await Api.GetBlobAsync(repo, digest);
        await AssertRejectedAsync(get, [HttpStatusCode.BadRequest, HttpStatusCode.NotFound], "DIGEST_INVALID", "BLOB_UNKNOWN");
        using var head = await Api.HeadBlobAsync(repo, digest);
        await Check.StatusAsync(head, HttpStatusCode.BadRequest, HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(MalformedDigests))]
    public async Task Malformed_digest_closing_an_upload_is_400_DIGEST_INVALID_and_stores_nothing(string digest)
    {
        var repo = Repo.New("digest");
        var blob = Blob.Random(100);
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, digest, blob.Bytes);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Theory]
    [MemberData(nameof(MalformedDigests))]
    public async Task Malformed_digest_on_monolithic_POST_is_400_DIGEST_INVALID_and_stores_nothing(string digest)
    {
        var repo = Repo.New("digest");
        var blob = Blob.Random(100);
        using var post = await Api.SendAsync(HttpMethod.Post, $"v2/{repo}/blobs/uploads/?digest={Uri.EscapeDataString(digest)}", RegistryApi.Octets(blob.Bytes));
        await Check.ErrorAsync(post, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Theory]
    [InlineData("sha256:xyz")]
    [InlineData("foo:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task Malformed_digest_as_manifest_reference_is_rejected_and_stores_nothing(string digest)
    {
        var repo = Repo.New("digest");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, "v1");
        using var put = await Api.PutManifestAsync(repo, digest, image.Manifest);
        await AssertRejectedAsync(put, [HttpStatusCode.BadRequest], "DIGEST_INVALID", "MANIFEST_INVALID", "TAG_INVALID");
        Assert.Equal(["v1"], await Api.TagsAsync(repo));
    }

    // ---- Content-Range and Content-Length --------------------------------------------------------------------------

    [Theory]
    [InlineData("bytes=0-9")]
    [InlineData("abc")]
    [InlineData("9-0")]
    [InlineData("0-")]
    [InlineData("-9")]
    [InlineData("0-9/10")]
    [InlineData("0x0-0x9")]
    [InlineData("0-99")]
    [InlineData("0-4")]
    public async Task Malformed_or_inconsistent_Content_Range_is_416_or_400_and_appends_nothing(string contentRange)
    {
        var repo = Repo.New("range");
        var chunk = Blob.Random(10);
        var session = await Api.StartUploadAsync(repo);
        using var patch = await Api.PatchAsync(session, chunk.Bytes, contentRange);
        await AssertRejectedAsync(patch, [HttpStatusCode.RequestedRangeNotSatisfiable, HttpStatusCode.BadRequest], "BLOB_UPLOAD_INVALID", "SIZE_INVALID", "RANGE_INVALID");

        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
        if (status.StatusCode == HttpStatusCode.NoContent)
        {
            Assert.True(Check.UploadOffset(status) <= 0, $"bad chunk was appended: Range {Check.Header(status, "Range")}");
        }

        using var put = await Api.PutUploadAsync(session, chunk.Digest);
        Assert.NotEqual(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAbsentAsync(repo, chunk.Digest);
    }

    [Fact]
    public async Task Body_shorter_than_Content_Length_on_a_monolithic_PUT_stores_nothing()
    {
        var repo = Repo.New("short");
        var blob = Blob.Random(2000);
        var session = await Api.StartUploadAsync(repo);
        var target = RegistryApi.WithQuery(session, "digest", blob.Digest).PathAndQuery;
        var response = await RawHttp.SendAsync(Port, "PUT", target, ["Content-Type: application/octet-stream"], blob.Bytes[..1000], declaredLength: 2000, halfClose: true);
        Assert.True(response.Status is null or >= 400, $"a truncated body must not succeed: {response}");
        await AssertBlobAbsentAsync(repo, blob.Digest);
        await AssertBlobAbsentAsync(repo, Digests.Sha256(blob.Bytes[..1000]));
    }

    [Fact]
    public async Task Body_shorter_than_Content_Length_on_a_monolithic_POST_stores_nothing()
    {
        var repo = Repo.New("short");
        var blob = Blob.Random(2000);
        var response = await RawHttp.SendAsync(Port, "POST", $"/v2/{repo}/blobs/uploads/?digest={blob.Digest}", ["Content-Type: application/octet-stream"], blob.Bytes[..1000], declaredLength: 2000, halfClose: true);
        Assert.True(response.Status is null or >= 400 or 202, $"a truncated body must not succeed: {response}");
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Body_shorter_than_Content_Length_on_a_PATCH_leaves_a_resumable_or_dead_session()
    {
        var repo = Repo.New("short");
        var blob = Blob.Random(4000);
        var session = await Api.StartUploadAsync(repo);
        var response = await RawHttp.SendAsync(Port, "PATCH", session.PathAndQuery, ["Content-Type: application/octet-stream", "Content-Range: 0-3999"], blob.Bytes[..1500], declaredLength: 4000, halfClose: true);
        Assert.True(response.Status is null or >= 400, $"a truncated chunk must not be acknowledged: {response}");
        await AssertBlobAbsentAsync(repo, blob.Digest);

        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
        if (status.StatusCode == HttpStatusCode.NotFound)
        {
            // Cleanly gone.
            await Check.ErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            return;
        }

        // Resumable: whatever the server kept must be a prefix of what was sent; finish from there.
        var last = Check.UploadOffset(status);
        Assert.InRange(last, -1, 1499);
        var next = (int)(last + 1);
        var location = Check.Location(status);
        var rest = await Api.PatchAsync(location, blob.Bytes[next..], $"{next}-3999");
        if (last == 0 && rest.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // "0-0" is ambiguous (no bytes, or one byte): the 416 says it meant none, so start over at 0.
            rest.Dispose();
            rest = await Api.PatchAsync(location, blob.Bytes, "0-3999");
        }

        using var _ = rest;
        await Check.StatusAsync(rest, HttpStatusCode.Accepted);
        Check.UploadRange(rest, 3999);
        using var put = await Api.PutUploadAsync(Check.Location(rest), blob.Digest);
        await Check.StatusAsync(put, HttpStatusCode.Created);
        using var get = await Api.GetBlobAsync(repo, blob.Digest);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Truncated_manifest_body_is_not_stored()
    {
        var repo = Repo.New("short");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        var bytes = image.Manifest.Bytes;
        var response = await RawHttp.SendAsync(Port, "PUT", $"/v2/{repo}/manifests/cut", [$"Content-Type: {MediaTypes.OciManifest}"], bytes[..(bytes.Length / 2)], declaredLength: bytes.Length, halfClose: true);
        Assert.True(response.Status is null or >= 400, $"a truncated manifest must not succeed: {response}");
        using var head = await Api.HeadManifestAsync(repo, "cut");
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    // ---- isolation between repositories --------------------------------------------------------------------------

    [Fact]
    public async Task Blob_pushed_to_one_repository_is_404_BLOB_UNKNOWN_through_another()
    {
        var a = Repo.New("iso-a");
        var b = Repo.New("iso-b");
        var secret = Blob.Random(512);
        await Api.PushBlobAsync(a, secret);
        await Api.PushImageAsync(b, Build.OciImage()); // b exists, but never referenced the secret

        using var get = await Api.GetBlobAsync(b, secret.Digest);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var head = await Api.HeadBlobAsync(b, secret.Digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        using var range = await Api.SendAsync(HttpMethod.Get, $"v2/{b}/blobs/{secret.Digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-9"));
        await Check.StatusAsync(range, HttpStatusCode.NotFound);
        using var neverExisted = await Api.GetBlobAsync(Repo.New("iso-c"), secret.Digest);
        await Check.StatusAsync(neverExisted, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Manifest_pushed_to_one_repository_is_404_through_another()
    {
        var a = Repo.New("iso-a");
        var b = Repo.New("iso-b");
        var image = Build.OciImage();
        await Api.PushImageAsync(a, image, "v1");
        await Api.PushImageAsync(b, Build.OciImage(), "v1");
        using var get = await Api.GetManifestAsync(b, image.Manifest.Digest);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Manifest_cannot_claim_a_blob_that_only_another_repository_has()
    {
        var a = Repo.New("iso-a");
        var b = Repo.New("iso-b");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(a, image.Blobs);
        await Api.PushBlobAsync(b, image.Config); // the layer exists only in a
        using var put = await Api.PutManifestAsync(b, "stolen", image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        using var head = await Api.HeadBlobAsync(b, image.Layers[0].Digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Index_cannot_claim_a_manifest_that_only_another_repository_has()
    {
        var a = Repo.New("iso-a");
        var b = Repo.New("iso-b");
        var image = Build.OciImage();
        await Api.PushImageAsync(a, image, tag: null);
        await Api.PushBlobsAsync(b, image.Blobs);
        var index = Build.OciIndex([image.Manifest]);
        using var put = await Api.PutManifestAsync(b, "stolen", index);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Mount_from_a_repository_that_lacks_the_blob_does_not_leak_it()
    {
        var owner = Repo.New("iso-owner");
        var bystander = Repo.New("iso-bystander");
        var thief = Repo.New("iso-thief");
        var secret = Blob.Random(512);
        await Api.PushBlobAsync(owner, secret);
        await Api.PushImageAsync(bystander, Build.OciImage());

        using var mount = await Api.PostUploadAsync(thief, $"?mount={secret.Digest}&from={bystander}");
        await Check.StatusAsync(mount, HttpStatusCode.Accepted);
        var session = Check.Location(mount);
        await AssertBlobAbsentAsync(thief, secret.Digest);
        await AssertBlobAbsentAsync(bystander, secret.Digest);

        // Closing the fallback session without sending the bytes must not conjure the blob either.
        using var put = await Api.PutUploadAsync(session, secret.Digest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID", "BLOB_UPLOAD_INVALID", "SIZE_INVALID");
        await AssertBlobAbsentAsync(thief, secret.Digest);
    }

    [Fact]
    public async Task Mount_from_an_unknown_or_invalid_repository_falls_back_and_leaks_nothing()
    {
        var owner = Repo.New("iso-owner");
        var thief = Repo.New("iso-thief");
        var secret = Blob.Random(512);
        await Api.PushBlobAsync(owner, secret);
        foreach (var from in new[] { Repo.New("iso-nobody"), "INVALID", "..%2f..%2f" + owner })
        {
            using var mount = await Api.PostUploadAsync(thief, $"?mount={secret.Digest}&from={from}");
            Assert.True(mount.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.BadRequest, $"mount from {from}: {(int)mount.StatusCode}");
            await AssertBlobAbsentAsync(thief, secret.Digest);
        }
    }

    [Fact]
    public async Task Upload_session_of_one_repository_is_unknown_through_another()
    {
        var a = Repo.New("iso-a");
        var b = Repo.New("iso-b");
        var blob = Blob.Random(100);
        await Api.PushBlobAsync(b, Blob.Random(1));
        var session = await Api.StartUploadAsync(a);
        var id = session.AbsolutePath[(session.AbsolutePath.LastIndexOf('/') + 1)..];
        var foreign = new Uri(registry.BaseUri, $"v2/{b}/blobs/uploads/{id}{session.Query}");

        using var patch = await Api.PatchAsync(foreign, blob.Bytes, "0-99");
        await Check.ErrorAsync(patch, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var put = await Api.PutUploadAsync(foreign, blob.Digest, blob.Bytes);
        await Check.ErrorAsync(put, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await AssertBlobAbsentAsync(b, blob.Digest);

        // The real session is untouched and still works.
        using var own = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        await Check.StatusAsync(own, HttpStatusCode.Created);
        await AssertBlobAbsentAsync(b, blob.Digest);
    }

    [Fact]
    public async Task Error_bodies_use_only_spec_codes()
    {
        var repo = Repo.New("codes");
        var responses = new List<HttpResponseMessage>
        {
            await Api.GetBlobAsync(repo, Digests.Random()),
            await Api.GetManifestAsync(repo, "nope"),
            await Api.PutManifestAsync(repo, "x", Encoding.UTF8.GetBytes("{"), MediaTypes.OciManifest),
            await Api.GetAsync($"v2/{repo}/blobs/uploads/{Guid.NewGuid()}"),
        };
        string[] allowed =
        [
            "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
            "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
        ];
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.True((int)response.StatusCode >= 400, Check.Describe(response));
                var codes = await Check.ErrorCodesAsync(response);
                Assert.NotEmpty(codes);
                Assert.All(codes, c => Assert.Contains(c, allowed));
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }
}
