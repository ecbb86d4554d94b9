using Berth.Oci;
using Berth.Registry;
using Berth.Server.Auth;

namespace Berth.Server.Endpoints;

/// <summary>
/// The <c>/v2</c> API. One parser turns the path into a route (names contain slashes, so ASP.NET's templates
/// cannot), one function says what access it needs, and each route kind has its own handler class.
/// </summary>
internal static class RegistryApi
{
    public static IApplicationBuilder MapRegistryApi(this IApplicationBuilder app) =>
        app.Map("/v2", branch => branch.Run(HandleAsync));

    private static async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers[OciResponses.ApiVersionHeader] = "registry/2.0";
        var path = context.Request.Path.Value ?? "";
        var parsed = RegistryRoute.Parse(path.StartsWith('/') ? path[1..] : path);
        if (!parsed.IsSuccess)
        {
            // A read or delete of a reference that is no valid tag asks for content that cannot exist: 404, as
            // Distribution and the conformance suite expect. A push of it stays a 400: the client must fix it.
            var error = RegistryRoute.IsInvalidTag(parsed.Error) && context.Request.Method is "GET" or "HEAD" or "DELETE"
                ? new OciError(OciErrorCode.ManifestUnknown, Detail: parsed.Error.Detail)
                : parsed.Error;
            await OciResponses.WriteErrorAsync(context, error);
            return;
        }

        var route = parsed.Value;
        var method = context.Request.Method;
        var handler = Resolve(route.Kind, method);
        if (handler is null)
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.Unsupported, $"{method} is not supported here");
            return;
        }

        var access = context.RequestServices.GetRequiredService<IAccessController>();
        var grant = await access.AuthorizeAsync(context, RequiredAccess.For(method, route, context.Request.Query), context.RequestAborted);
        switch (grant.Outcome)
        {
            case AccessOutcome.Challenge:
                context.Response.Headers.WWWAuthenticate = grant.Challenge;
                await OciResponses.WriteErrorAsync(context, OciErrorCode.Unauthorized);
                return;
            case AccessOutcome.Throttled:
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(grant.RetryAfter!.Value.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await OciResponses.WriteErrorAsync(context, OciErrorCode.TooManyRequests, "too many failed logins from this address; try again later");
                return;
            case AccessOutcome.Denied:
                if (grant.Challenge is not null)
                {
                    context.Response.Headers.WWWAuthenticate = grant.Challenge;
                }

                await OciResponses.WriteErrorAsync(context, OciErrorCode.Denied);
                return;
        }

        // A repository this request creates records who created it (a create grant is honoured for its creator only).
        context.RequestServices.GetRequiredService<RegistryCaller>().Subject = grant.Subject;

        try
        {
            await handler(context, route, grant);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && Faults.Classify(e) is { } fault)
        {
            Faults.Log(context.RequestServices.GetRequiredService<ILoggerFactory>(), e, method, path);
            if (fault.HttpStatus == StatusCodes.Status503ServiceUnavailable && !context.Response.HasStarted)
            {
                context.Response.Headers.RetryAfter = Faults.RetryAfterSeconds;
            }

            await OciResponses.WriteErrorAsync(context, fault);
        }
    }

    private static Func<HttpContext, RegistryRoute, AccessGrant, Task>? Resolve(RouteKind kind, string method) => (kind, method) switch
    {
        (RouteKind.Base, "GET" or "HEAD") => BaseAsync,
        (RouteKind.Catalog, "GET") => ListingEndpoints.CatalogAsync,
        (RouteKind.Tags, "GET") => ListingEndpoints.TagsAsync,
        (RouteKind.Referrers, "GET") => ListingEndpoints.ReferrersAsync,
        (RouteKind.Manifest, "GET" or "HEAD") => ManifestEndpoints.GetAsync,
        (RouteKind.Manifest, "PUT") => ManifestEndpoints.PutAsync,
        (RouteKind.Manifest, "DELETE") => ManifestEndpoints.DeleteAsync,
        (RouteKind.Blob, "GET" or "HEAD") => BlobEndpoints.GetAsync,
        (RouteKind.Blob, "DELETE") => BlobEndpoints.DeleteAsync,
        (RouteKind.UploadStart, "POST") => UploadEndpoints.StartAsync,
        (RouteKind.Upload, "GET") => UploadEndpoints.StatusAsync,
        (RouteKind.Upload, "PATCH") => UploadEndpoints.PatchAsync,
        (RouteKind.Upload, "PUT") => UploadEndpoints.PutAsync,
        (RouteKind.Upload, "DELETE") => UploadEndpoints.CancelAsync,
        _ => null,
    };

    private static Task BaseAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = 2;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("{}", context.RequestAborted);
    }
}
