using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Endpoints;

/// <summary>
/// How large a request body may be. Kestrel refuses anything above <see cref="Default"/> for the whole server; an
/// endpoint that needs another limit sets it here before anything reads its body, so an oversized body is refused
/// with 413 while it arrives instead of being buffered first. Only blob uploads are unbounded: they stream to storage.
/// </summary>
internal static class BodyLimits
{
    /// <summary>API JSON and everything else that does not say otherwise.</summary>
    public const long Default = 1024 * 1024;

    /// <summary>The OAuth2 form of <c>POST /token</c>: a handful of short fields.</summary>
    public const int TokenForm = 64 * 1024;

    /// <summary>A signed batch of registry events in a split deployment.</summary>
    public const long Events = 4 * 1024 * 1024;

    /// <summary>Limits the bodies of the endpoints built here to <paramref name="bytes"/>, answering 413 above it.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            if (http.Request.ContentLength > bytes)
            {
                return TooLarge(bytes);
            }

            Set(http, bytes);
            try
            {
                return await next(invocation);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge(bytes);
            }
            catch (InvalidDataException) when (http.Request.HasFormContentType)
            {
                // FormOptions' count and length limits: the form is larger than any this server accepts.
                return TooLarge(bytes);
            }
        });

    /// <summary>Sets this request's limit (null: unbounded) unless its body is already being read.</summary>
    public static void Set(HttpContext http, long? bytes)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }

    private static IResult TooLarge(long bytes) =>
        Results.Problem($"request bodies here are limited to {bytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload Too Large");
}
