using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Server.Auth;
using Berth.Server.Hosting;
using Microsoft.Win32.SafeHandles;

namespace Berth.Server.Endpoints;

internal static class BlobEndpoints
{
    public static async Task GetAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var blobs = context.RequestServices.GetRequiredService<IBlobStore>();
        var digest = Digest.Parse(route.Argument);
        var ct = context.RequestAborted;
        var stat = await blobs.StatAsync(route.Name, digest, ct);
        if (!stat.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, stat.Error);
            return;
        }

        var size = stat.Value.Size;
        var response = context.Response;
        response.Headers[OciResponses.DigestHeader] = route.Argument;
        response.Headers.ETag = $"\"{route.Argument}\"";
        response.Headers.AcceptRanges = "bytes";
        response.Headers.CacheControl = "max-age=31536000";
        response.ContentType = "application/octet-stream";

        long offset = 0, count = size;
        if (context.Request.Headers.Range.Count > 0)
        {
            var range = ByteRanges.ParseRange(context.Request.Headers.Range, size, out var satisfiable);
            if (!satisfiable)
            {
                response.Headers.ContentRange = $"bytes */{size}";
                await OciResponses.WriteErrorAsync(context, new OciError(OciErrorCode.RangeInvalid, "requested range not satisfiable", Status: 416));
                return;
            }

            if (range is { } r)
            {
                (offset, count) = r;
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {offset}-{offset + count - 1}/{size}";
            }
        }

        response.ContentLength = count;
        if (HttpMethods.IsHead(context.Request.Method) || count == 0)
        {
            return;
        }

        var direct = await blobs.GetDirectAccessAsync(digest, ct);
        if (direct?.RedirectUri is { } uri && offset == 0 && count == size)
        {
            response.ContentLength = null;
            response.Headers.Remove(OciResponses.DigestHeader);
            response.Redirect(uri.ToString(), permanent: false, preserveMethod: true);
            return;
        }

        if (direct?.LocalPath is { } path)
        {
            SafeFileHandle file;
            try
            {
                file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            }
            catch (FileNotFoundException)
            {
                await OciResponses.WriteErrorAsync(context, OciErrorCode.BlobUnknown, "blob content is missing from storage");
                return;
            }

            using (file)
            {
                await StreamCopy.SendFileAsync(response.BodyWriter, file, offset, count, ct);
            }

            BerthMetrics.BlobBytesSent.Inc(count);
            return;
        }

        await using var stream = await blobs.OpenReadAsync(digest, offset, ct);
        if (stream is null)
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.BlobUnknown, "blob content is missing from storage");
            return;
        }

        await StreamCopy.CopyAsync(stream, response.Body, count, ct);
        BerthMetrics.BlobBytesSent.Inc(count);
    }

    public static async Task DeleteAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var blobs = context.RequestServices.GetRequiredService<IBlobStore>();
        var result = await blobs.UnlinkAsync(route.Name, Digest.Parse(route.Argument), context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
