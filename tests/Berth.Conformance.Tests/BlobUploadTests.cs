using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Push workflow for blobs: monolithic, streamed, chunked, cancel, digest checks, sha512, cross-repository mount.</summary>
public sealed class BlobUploadTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    /// <summary>A 201 for a blob: Location is pullable and serves the bytes, Docker-Content-Digest names them.</summary>
    private async Task AssertBlobCreatedAsync(HttpResponseMessage response, string repo, Blob blob)
    {
        await Check.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(blob.Digest, Check.RequiredHeader(response, "Docker-Content-Digest"));
        var location = Check.Location(response);
        using var get = await Api.SendAsync(HttpMethod.Get, location);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        using var head = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(blob.Size, head.Content.Headers.ContentLength);
    }

    private async Task AssertBlobAbsentAsync(string repo, string digest)
    {
        using var head = await Api.HeadBlobAsync(repo, digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        using var get = await Api.GetBlobAsync(repo, digest);
        await Check.StatusAsync(get, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Monolithic_POST_with_digest_returns_201_Location_and_digest()
    {
        var repo = Repo.New("post");
        var blob = Blob.Random(4096);
        using var response = await Api.SendAsync(HttpMethod.Post, $"v2/{repo}/blobs/uploads/?digest={blob.Digest}", RegistryApi.Octets(blob.Bytes));
        await AssertBlobCreatedAsync(response, repo, blob);
    }

    [Fact]
    public async Task POST_then_PUT_with_body_returns_201()
    {
        var repo = Repo.New("postput");
        var blob = Blob.Random(4096);
        using var post = await Api.PostUploadAsync(repo);
        await Check.StatusAsync(post, HttpStatusCode.Accepted);
        var session = Check.Location(post);
        using var put = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Streamed_PATCH_without_Content_Range_then_empty_PUT_returns_201()
    {
        var repo = Repo.New("stream");
        var blob = Blob.Random(5000);
        var session = await Api.StartUploadAsync(repo);
        using var patch = await Api.PatchAsync(session, blob.Bytes, contentRange: null);
        await Check.StatusAsync(patch, HttpStatusCode.Accepted);
        Check.UploadRange(patch, blob.Size - 1);
        using var put = await Api.PutUploadAsync(Check.Location(patch), blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Chunked_upload_reports_Range_and_Location_after_each_chunk_and_status()
    {
        var repo = Repo.New("chunked");
        var blob = Blob.Random(3 * 1024 * 1024 + 7);
        var chunks = new[] { (0, 1024 * 1024), (1024 * 1024, 2 * 1024 * 1024), (2 * 1024 * 1024, (int)blob.Size) };
        var session = await Api.StartUploadAsync(repo);
        foreach (var (start, end) in chunks)
        {
            using var patch = await Api.PatchAsync(session, blob.Bytes[start..end], $"{start}-{end - 1}");
            await Check.StatusAsync(patch, HttpStatusCode.Accepted);
            Check.UploadRange(patch, end - 1);
            session = Check.Location(patch);

            using var status = await Api.SendAsync(HttpMethod.Get, session);
            await Check.StatusAsync(status, HttpStatusCode.NoContent);
            Check.UploadRange(status, end - 1);
            Check.Location(status);
        }

        using var put = await Api.PutUploadAsync(session, blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Chunked_upload_may_send_the_last_chunk_with_the_closing_PUT()
    {
        var repo = Repo.New("chunked");
        var blob = Blob.Random(100_000);
        var session = await Api.StartUploadAsync(repo);
        using var patch = await Api.PatchAsync(session, blob.Bytes[..60_000], "0-59999");
        await Check.StatusAsync(patch, HttpStatusCode.Accepted);
        using var put = await Api.PutUploadAsync(Check.Location(patch), blob.Digest, blob.Bytes[60_000..], "60000-99999");
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task First_chunk_not_starting_at_zero_is_416_and_the_session_survives()
    {
        var repo = Repo.New("chunked");
        var blob = Blob.Random(42);
        var session = await Api.StartUploadAsync(repo);
        using var bad = await Api.PatchAsync(session, blob.Bytes[22..], "22-41");
        await Check.StatusAsync(bad, HttpStatusCode.RequestedRangeNotSatisfiable);

        // Recover as the official suite does: status, then the right chunk, then close.
        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent);
        Assert.True(Check.UploadOffset(status) <= 0, $"nothing was accepted, Range was {Check.Header(status, "Range")}");
        using var good = await Api.PatchAsync(Check.Location(status), blob.Bytes, "0-41");
        await Check.StatusAsync(good, HttpStatusCode.Accepted);
        Check.UploadRange(good, 41);
        using var put = await Api.PutUploadAsync(Check.Location(good), blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Resending_an_accepted_chunk_is_416_and_the_offset_is_kept()
    {
        var repo = Repo.New("chunked");
        var blob = Blob.Random(42);
        var session = await Api.StartUploadAsync(repo);
        using var first = await Api.PatchAsync(session, blob.Bytes[..22], "0-21");
        await Check.StatusAsync(first, HttpStatusCode.Accepted);
        Check.UploadRange(first, 21);

        using var retry = await Api.PatchAsync(session, blob.Bytes[..22], "0-21");
        await Check.StatusAsync(retry, HttpStatusCode.RequestedRangeNotSatisfiable);

        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent);
        Check.UploadRange(status, 21);
        using var second = await Api.PatchAsync(Check.Location(status), blob.Bytes[22..], "22-41");
        await Check.StatusAsync(second, HttpStatusCode.Accepted);
        Check.UploadRange(second, 41);
        using var put = await Api.PutUploadAsync(Check.Location(second), blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Overlapping_or_gapped_chunks_are_416()
    {
        var repo = Repo.New("chunked");
        var blob = Blob.Random(100);
        var session = await Api.StartUploadAsync(repo);
        using var first = await Api.PatchAsync(session, blob.Bytes[..50], "0-49");
        await Check.StatusAsync(first, HttpStatusCode.Accepted);
        session = Check.Location(first);
        using var overlap = await Api.PatchAsync(session, blob.Bytes[40..], "40-99");
        await Check.StatusAsync(overlap, HttpStatusCode.RequestedRangeNotSatisfiable);
        using var gap = await Api.PatchAsync(session, blob.Bytes[60..], "60-99");
        await Check.StatusAsync(gap, HttpStatusCode.RequestedRangeNotSatisfiable);

        // Neither bad chunk was appended: finishing correctly still yields the right blob.
        using var rest = await Api.PatchAsync(session, blob.Bytes[50..], "50-99");
        await Check.StatusAsync(rest, HttpStatusCode.Accepted);
        Check.UploadRange(rest, 99);
        using var put = await Api.PutUploadAsync(Check.Location(rest), blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Upload_status_of_a_fresh_session_is_204_with_Location()
    {
        var repo = Repo.New("status");
        var session = await Api.StartUploadAsync(repo);
        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.StatusAsync(status, HttpStatusCode.NoContent);
        Check.Location(status);
        Assert.True(Check.UploadOffset(status) <= 0);
    }

    [Fact]
    public async Task Cancel_returns_204_then_the_session_is_404_BLOB_UPLOAD_UNKNOWN()
    {
        var repo = Repo.New("cancel");
        var blob = Blob.Random(1000);
        var session = await Api.StartUploadAsync(repo);
        using var patch = await Api.PatchAsync(session, blob.Bytes, "0-999");
        await Check.StatusAsync(patch, HttpStatusCode.Accepted);
        session = Check.Location(patch);

        using var cancel = await Api.SendAsync(HttpMethod.Delete, session);
        await Check.StatusAsync(cancel, HttpStatusCode.NoContent);

        using var status = await Api.SendAsync(HttpMethod.Get, session);
        await Check.ErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var again = await Api.PatchAsync(session, blob.Bytes, "1000-1999");
        await Check.ErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var put = await Api.PutUploadAsync(session, blob.Digest);
        await Check.ErrorAsync(put, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Unknown_session_is_404_BLOB_UPLOAD_UNKNOWN()
    {
        var repo = Repo.New("status");
        await Api.PushBlobAsync(repo, Blob.Random(10));
        var path = $"v2/{repo}/blobs/uploads/{Guid.NewGuid()}";
        using var get = await Api.GetAsync(path);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var patch = await Api.PatchAsync(Api.ToUri(path), [1, 2, 3], "0-2");
        await Check.ErrorAsync(patch, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var delete = await Api.DeleteAsync(path);
        await Check.ErrorAsync(delete, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task PUT_with_the_wrong_digest_is_400_DIGEST_INVALID_and_nothing_is_stored()
    {
        var repo = Repo.New("baddigest");
        var blob = Blob.Random(2048);
        var claimed = Digests.Random();
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, claimed, blob.Bytes);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, claimed);
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Monolithic_POST_with_the_wrong_digest_is_400_DIGEST_INVALID_and_nothing_is_stored()
    {
        var repo = Repo.New("baddigest");
        var blob = Blob.Random(2048);
        var claimed = Digests.Random();
        using var post = await Api.SendAsync(HttpMethod.Post, $"v2/{repo}/blobs/uploads/?digest={claimed}", RegistryApi.Octets(blob.Bytes));
        await Check.ErrorAsync(post, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, claimed);
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Chunked_upload_closed_with_the_wrong_digest_is_400_DIGEST_INVALID_and_nothing_is_stored()
    {
        var repo = Repo.New("baddigest");
        var blob = Blob.Random(3000);
        var corrupted = blob.Bytes.ToArray();
        corrupted[1500] ^= 0xFF;
        var session = await Api.StartUploadAsync(repo);
        using var p1 = await Api.PatchAsync(session, corrupted[..1500], "0-1499");
        await Check.StatusAsync(p1, HttpStatusCode.Accepted);
        using var p2 = await Api.PatchAsync(Check.Location(p1), corrupted[1500..], "1500-2999");
        await Check.StatusAsync(p2, HttpStatusCode.Accepted);
        using var put = await Api.PutUploadAsync(Check.Location(p2), blob.Digest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, blob.Digest);
        await AssertBlobAbsentAsync(repo, Digests.Sha256(corrupted));
    }

    [Fact]
    public async Task Closing_PUT_without_a_digest_is_rejected_and_stores_nothing()
    {
        var repo = Repo.New("nodigest");
        var blob = Blob.Random(100);
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, digest: null, blob.Bytes);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID", "BLOB_UPLOAD_INVALID");
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    [Fact]
    public async Task Zero_length_blob_uploads_and_pulls()
    {
        var repo = Repo.New("empty");
        var blob = Blob.From([]);
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, blob.Digest);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Pushing_an_existing_blob_again_is_201()
    {
        var repo = Repo.New("again");
        var blob = Blob.Random(500);
        await Api.PushBlobAsync(repo, blob);
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        await AssertBlobCreatedAsync(put, repo, blob);
    }

    [Fact]
    public async Task Sha512_blob_uploads_monolithically_and_pulls_by_its_sha512_digest()
    {
        var repo = Repo.New("sha512");
        var blob = Blob.Random(4096, algorithm: "sha512");
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        await Check.StatusAsync(put, HttpStatusCode.Created);
        await AssertSha512BlobServedAsync(repo, blob);
    }

    [Fact]
    public async Task Sha512_blob_uploads_in_chunks()
    {
        var repo = Repo.New("sha512");
        var blob = Blob.Random(300_000, algorithm: "sha512");
        var session = await Api.StartUploadAsync(repo);
        using var p1 = await Api.PatchAsync(session, blob.Bytes[..150_000], "0-149999");
        await Check.StatusAsync(p1, HttpStatusCode.Accepted);
        using var p2 = await Api.PatchAsync(Check.Location(p1), blob.Bytes[150_000..], "150000-299999");
        await Check.StatusAsync(p2, HttpStatusCode.Accepted);
        using var put = await Api.PutUploadAsync(Check.Location(p2), blob.Digest);
        await Check.StatusAsync(put, HttpStatusCode.Created);
        await AssertSha512BlobServedAsync(repo, blob);
    }

    [Fact]
    public async Task Sha512_digest_mismatch_is_400_DIGEST_INVALID()
    {
        var repo = Repo.New("sha512");
        var blob = Blob.Random(1000, algorithm: "sha512");
        var wrong = Digests.Sha512(Blob.Random(1000).Bytes);
        var session = await Api.StartUploadAsync(repo);
        using var put = await Api.PutUploadAsync(session, wrong, blob.Bytes);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertBlobAbsentAsync(repo, wrong);
        await AssertBlobAbsentAsync(repo, blob.Digest);
    }

    private async Task AssertSha512BlobServedAsync(string repo, Blob blob)
    {
        using var head = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(blob.Size, head.Content.Headers.ContentLength);
        using var get = await Api.GetBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        var bytes = await get.Content.ReadAsByteArrayAsync();
        Assert.Equal(blob.Bytes, bytes);
        var header = Check.Header(get, "Docker-Content-Digest");
        if (header is not null)
        {
            // "If present, the value of this header MUST be a digest matching that of the response body."
            Assert.True(Digests.Matches(header, bytes), $"Docker-Content-Digest {header} does not match the body");
        }
    }

    [Fact]
    public async Task Mount_from_a_repository_that_has_the_blob_returns_201()
    {
        var source = Repo.New("mount-src");
        var target = Repo.New("mount-dst");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(source, blob);
        using var mount = await Api.PostUploadAsync(target, $"?mount={blob.Digest}&from={source}");
        await Check.StatusAsync(mount, HttpStatusCode.Created);
        Assert.Equal($"/v2/{target}/blobs/{blob.Digest}", Check.Location(mount).AbsolutePath);
        await AssertBlobCreatedAsync(mount, target, blob);
    }

    [Fact]
    public async Task Mount_from_a_repository_without_the_blob_falls_back_to_a_202_session()
    {
        var source = Repo.New("mount-src");
        var target = Repo.New("mount-dst");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(source, Blob.Random(10)); // source exists, but without this blob
        using var mount = await Api.PostUploadAsync(target, $"?mount={blob.Digest}&from={source}");
        await Check.StatusAsync(mount, HttpStatusCode.Accepted);
        var session = Check.Location(mount);
        Assert.StartsWith($"/v2/{target}/blobs/uploads/", session.AbsolutePath, StringComparison.Ordinal);
        await AssertBlobAbsentAsync(target, blob.Digest);

        // The fallback session is a real upload session.
        using var put = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        await AssertBlobCreatedAsync(put, target, blob);
    }

    [Fact]
    public async Task Mount_of_an_unknown_digest_without_from_yields_a_session()
    {
        var target = Repo.New("mount-dst");
        using var mount = await Api.PostUploadAsync(target, $"?mount={Digests.Random()}");
        await Check.StatusAsync(mount, HttpStatusCode.Accepted);
        Assert.StartsWith($"/v2/{target}/blobs/uploads/", Check.Location(mount).AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_without_from_does_not_pull_a_blob_out_of_another_repository()
    {
        // SPEC §2: knowing a digest must not give access to content another repository holds.
        var owner = Repo.New("mount-src");
        var target = Repo.New("mount-dst");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(owner, blob);
        using var mount = await Api.PostUploadAsync(target, $"?mount={blob.Digest}");
        await Check.StatusAsync(mount, HttpStatusCode.Accepted);
        await AssertBlobAbsentAsync(target, blob.Digest);
    }

    [Fact]
    public async Task Blob_exists_check_answers_200_after_push_and_404_before()
    {
        var repo = Repo.New("exists");
        var blob = Blob.Random(777);
        await Api.PushBlobAsync(repo, Blob.Random(1));
        using var before = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(before, HttpStatusCode.NotFound);
        await Api.PushBlobAsync(repo, blob);
        using var after = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(after, HttpStatusCode.OK);
        Assert.Equal(777, after.Content.Headers.ContentLength);
        Assert.Equal(blob.Digest, Check.RequiredHeader(after, "Docker-Content-Digest"));
    }
}
