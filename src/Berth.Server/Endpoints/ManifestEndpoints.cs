using System.Buffers;
using Berth.Oci;
using Berth.Registry.Events;
using Berth.Registry.Manifests;
using Berth.Server.Auth;

namespace Berth.Server.Endpoints;

internal static class ManifestEndpoints
{
    public static async Task GetAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var manifests = context.RequestServices.GetRequiredService<IManifestStore>();
        Reference.TryParse(route.Argument, out var reference);
        var result = await manifests.GetAsync(route.Name, reference, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        var manifest = result.Value;
        var response = context.Response;
        var digest = manifest.Digest.ToString();
        response.ContentType = manifest.MediaType;
        response.ContentLength = manifest.Content.Length;
        response.Headers[OciResponses.DigestHeader] = digest;
        response.Headers.ETag = $"\"{digest}\"";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(manifest.Content, context.RequestAborted);
            // Counted in memory, written to the outbox about every second: a pull costs no database write.
            context.RequestServices.GetRequiredService<PullCounter>().Count(route.Name);
        }
    }

    public static async Task PutAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var manifests = context.RequestServices.GetRequiredService<IManifestStore>();
        Reference.TryParse(route.Argument, out var reference);
        var body = await ReadBoundedAsync(context.Request, ManifestParser.MaxManifestBytes, context.RequestAborted);
        if (body is null)
        {
            await OciResponses.WriteErrorAsync(context, new OciError(OciErrorCode.SizeInvalid, $"manifest exceeds {ManifestParser.MaxManifestBytes} bytes", Status: 413));
            return;
        }

        // Push by digest and tag in one request (distribution-spec 1.1+): ?tag=a&tag=b, each answered with an OCI-Tag header.
        var tags = context.Request.Query["tag"].Where(t => t is not null).Select(t => t!).Distinct(StringComparer.Ordinal).ToList();
        var result = await manifests.PutAsync(route.Name, reference, tags, context.Request.ContentType, body, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/v2/{route.Name}/manifests/{result.Value.Digest}";
        response.Headers[OciResponses.DigestHeader] = result.Value.Digest.ToString();
        if (result.Value.Subject is { } subject)
        {
            response.Headers["OCI-Subject"] = subject.ToString();
        }

        foreach (var tag in tags)
        {
            response.Headers.Append("OCI-Tag", tag);
        }

        response.ContentLength = 0;
    }

    public static async Task DeleteAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var manifests = context.RequestServices.GetRequiredService<IManifestStore>();
        Reference.TryParse(route.Argument, out var reference);
        var result = await manifests.DeleteAsync(route.Name, reference, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>The request body, or null when it is larger than <paramref name="limit"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        // One byte over the limit is how an oversized body without a Content-Length is recognised below; set before
        // the early return too, so the server may still drain a body that is just over and keep the connection.
        BodyLimits.Set(request.HttpContext, limit + 1L);
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return null;
                }

                if (read == 0)
                {
                    return length > limit ? null : buffer.AsSpan(0, length).ToArray();
                }

                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
