using System.IO.Pipelines;
using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Registry.Uploads;
using Berth.Server.Auth;
using Berth.Server.Hosting;

namespace Berth.Server.Endpoints;

internal static class UploadEndpoints
{
    private const string UploadUuidHeader = "Docker-Upload-UUID";

    public static async Task StartAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        if (await UploadGuards.RefusedForSpaceAsync(context))
        {
            return;
        }

        var uploads = context.RequestServices.GetRequiredService<IUploadService>();
        var query = context.Request.Query;
        var ct = context.RequestAborted;

        if (query.TryGetValue("mount", out var mount))
        {
            if (!Digest.TryParse(mount, out var mountDigest))
            {
                await OciResponses.WriteErrorAsync(context, OciErrorCode.DigestInvalid, "invalid mount digest");
                return;
            }

            string? from = query["from"];
            if (RepositoryName.IsValid(from) && grant.Allows("repository", from, AccessRequest.Pull))
            {
                var blobs = context.RequestServices.GetRequiredService<IBlobStore>();
                if (await blobs.MountAsync(route.Name, from, mountDigest, ct) is { } mounted)
                {
                    if (!mounted.IsSuccess)
                    {
                        // Over the namespace's quota: a session would only be refused at its final PUT.
                        await OciResponses.WriteErrorAsync(context, mounted.Error);
                        return;
                    }

                    BlobCreated(context, route.Name, mounted.Value);
                    return;
                }
            }

            // Not mountable (absent, or the caller may not read the source): the spec's answer is a fresh session.
        }
        else if (query.TryGetValue("digest", out var digestText))
        {
            if (!Digest.TryParse(digestText, out var digest))
            {
                await OciResponses.WriteErrorAsync(context, OciErrorCode.DigestInvalid, "invalid digest", new { digest = digestText.ToString() });
                return;
            }

            BodyLimits.Set(context, null); // streams to storage
            var result = await UploadGuards.StreamAsync(context, token =>
                uploads.UploadMonolithicAsync(route.Name, digest, context.Request.ContentLength, context.Request.BodyReader, token));
            if (!result.IsSuccess)
            {
                // Stopped by a shutdown, a single-request upload leaves nothing to resume: the client sends it again.
                UploadGuards.SetRetryAfter(context, result.Error);
                await OciResponses.WriteErrorAsync(context, result.Error);
                return;
            }

            BerthMetrics.BlobBytesStored.Inc(result.Value.Size);
            BlobCreated(context, route.Name, result.Value);
            return;
        }

        var status = await uploads.StartAsync(route.Name, ct);
        UploadAccepted(context, status, StatusCodes.Status202Accepted);
    }

    public static async Task StatusAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var uploads = context.RequestServices.GetRequiredService<IUploadService>();
        var status = await uploads.GetStatusAsync(route.Name, route.Argument, context.RequestAborted);
        if (!status.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, status.Error);
            return;
        }

        UploadAccepted(context, status.Value, StatusCodes.Status204NoContent);
    }

    public static async Task PatchAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var uploads = context.RequestServices.GetRequiredService<IUploadService>();
        var range = ReadChunkRange(context);
        if (!range.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, range.Error);
            return;
        }

        if (await UploadGuards.RefusedForSpaceAsync(context))
        {
            return;
        }

        BodyLimits.Set(context, null); // streams to storage
        var status = await UploadGuards.StreamAsync(context, token =>
            uploads.AppendAsync(route.Name, route.Argument, range.Value, context.Request.BodyReader, token));
        if (!status.IsSuccess)
        {
            await WriteUploadErrorAsync(context, route, uploads, status.Error);
            return;
        }

        UploadAccepted(context, status.Value, StatusCodes.Status202Accepted);
    }

    public static async Task PutAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var uploads = context.RequestServices.GetRequiredService<IUploadService>();
        if (!Digest.TryParse(context.Request.Query["digest"], out var digest))
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.DigestInvalid, "a valid ?digest= is required to complete an upload");
            return;
        }

        var range = ReadChunkRange(context);
        if (!range.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, range.Error);
            return;
        }

        PipeReader? body = HasBody(context.Request) ? context.Request.BodyReader : null;
        if (body is not null && await UploadGuards.RefusedForSpaceAsync(context))
        {
            return;
        }

        BodyLimits.Set(context, null); // streams to storage
        var result = await UploadGuards.StreamAsync(context, token =>
            uploads.CompleteAsync(route.Name, route.Argument, digest, range.Value, body, token));
        if (!result.IsSuccess)
        {
            await WriteUploadErrorAsync(context, route, uploads, result.Error);
            return;
        }

        BerthMetrics.BlobBytesStored.Inc(result.Value.Size);
        BlobCreated(context, route.Name, result.Value);
    }

    public static async Task CancelAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var uploads = context.RequestServices.GetRequiredService<IUploadService>();
        var result = await uploads.CancelAsync(route.Name, route.Argument, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.ContentLength = 0;
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    /// <summary>The chunk's position from <c>Content-Range</c>, checked against <c>Content-Length</c> before a byte is written.</summary>
    private static Result<ChunkRange> ReadChunkRange(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.ContentRange.Count == 0)
        {
            return new ChunkRange(null, request.ContentLength);
        }

        if (!ByteRanges.TryParseContentRange(request.Headers.ContentRange, out var start, out var end))
        {
            return new OciError(OciErrorCode.RangeInvalid, "malformed Content-Range", Status: 416);
        }

        var length = end - start + 1;
        if (request.ContentLength is { } declared && declared != length)
        {
            return new OciError(OciErrorCode.SizeInvalid, $"Content-Range covers {length} bytes but Content-Length is {declared}");
        }

        return new ChunkRange(start, length);
    }

    /// <summary>Errors on an existing session say where the upload stands, so the client can resume.</summary>
    private static async Task WriteUploadErrorAsync(HttpContext context, RegistryRoute route, IUploadService uploads, OciError error)
    {
        var stopped = UploadGuards.SetRetryAfter(context, error);
        if ((error.Code == OciErrorCode.RangeInvalid || stopped) && !context.Response.HasStarted)
        {
            var status = await uploads.GetStatusAsync(route.Name, route.Argument, CancellationToken.None);
            if (status.IsSuccess)
            {
                SetUploadHeaders(context, status.Value);
            }
        }

        await OciResponses.WriteErrorAsync(context, error);
    }

    private static void UploadAccepted(HttpContext context, UploadStatus status, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        SetUploadHeaders(context, status);
        context.Response.ContentLength = 0;
    }

    private static void SetUploadHeaders(HttpContext context, UploadStatus status)
    {
        var headers = context.Response.Headers;
        headers.Location = $"/v2/{status.Repository}/blobs/uploads/{status.Id}";
        // Inclusive end of what was received; "0-0" for an empty upload, as Distribution and clients expect.
        headers.Range = $"0-{Math.Max(status.Offset - 1, 0)}";
        headers[UploadUuidHeader] = status.Id;
    }

    private static void BlobCreated(HttpContext context, string repository, BlobInfo blob)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/v2/{repository}/blobs/{blob.Digest}";
        response.Headers[OciResponses.DigestHeader] = blob.Digest.ToString();
        response.ContentLength = 0;
    }
}
