using Berth.Mirror;
using Berth.Oci;
using Berth.Registry;
using Berth.Server.Auth;
using Berth.Server.Hosting;

namespace Berth.Server.Endpoints;

/// <summary>
/// The <c>/v2</c> API. One parser turns the path into a route (names contain slashes, so ASP.NET's templates
/// cannot), one function says what access it needs, and each route kind has its own handler class.
/// </summary>
internal static class RegistryApi
{
    public static IApplicationBuilder MapRegistryApi(this IApplicationBuilder app) =>
        app.Map("/v2", branch => branch.Run(HandleAsync));

    /// <summary>Metric labels: the route kinds, and methods from a fixed set (a client chooses the method).</summary>
    private static readonly string[] RouteLabels = [.. Enum.GetNames<RouteKind>().Select(n => n.ToLowerInvariant())];

    private static async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var kind = await DispatchAsync(context);
        var method = context.Request.Method is "GET" or "HEAD" or "PUT" or "POST" or "PATCH" or "DELETE" ? context.Request.Method : "other";
        BerthMetrics.ObserveRegistryRequest(kind is { } k ? RouteLabels[(int)k] : "invalid", method, context.Response.StatusCode,
            System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Parses, authorizes and runs one request; returns its route kind (null when the path is no route).</summary>
    private static async Task<RouteKind?> DispatchAsync(HttpContext context)
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
            AccessLog.Of(context)?.Route = "invalid";
            await OciResponses.WriteErrorAsync(context, error);
            return null;
        }

        var route = parsed.Value;
        var method = context.Request.Method;
        if (context.RequestServices.GetService<MirrorRouter>() is { } mirrors && route.Kind is not (RouteKind.Base or RouteKind.Catalog))
        {
            // containerd's ?ns=<upstream host> names the upstream: the repository is stored (and permitted) under the
            // upstream's name, exactly as a path prefix names it (/v2/docker.io/library/alpine/…).
            route = route with { Name = mirrors.WithNamespace(route.Name, context.Request.Query["ns"].FirstOrDefault()) };
            if (mirrors.IsMirrored(route.Name) && method is not ("GET" or "HEAD"))
            {
                AccessLog.Of(context)?.Repository = route.Name;
                await OciResponses.WriteErrorAsync(context, MirrorRouter.PushRefused(route.Name));
                return route.Kind;
            }

            var mirrorResponse = context.RequestServices.GetRequiredService<MirrorResponse>();
            context.Response.OnStarting(() =>
            {
                if (mirrorResponse.Warning is { } warning)
                {
                    context.Response.Headers.Warning = warning;
                }

                return Task.CompletedTask;
            });
        }

        if (AccessLog.Of(context) is { } entry)
        {
            entry.Route = RouteLabels[(int)route.Kind];
            entry.Repository = route.Name;
        }

        var handler = Resolve(route.Kind, method);
        if (handler is null)
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.Unsupported, $"{method} is not supported here");
            return route.Kind;
        }

        var access = context.RequestServices.GetRequiredService<IAccessController>();
        var grant = await access.AuthorizeAsync(context, RequiredAccess.For(method, route, context.Request.Query), context.RequestAborted);
        AccessLog.NoteUser(context, grant.Subject);
        switch (grant.Outcome)
        {
            case AccessOutcome.Challenge:
                // Without credentials a challenge is the handshake's first step, not a failure.
                if (context.Request.Headers.Authorization.Count > 0)
                {
                    BerthMetrics.AuthFailures.WithLabels("challenged").Inc();
                }

                context.Response.Headers.WWWAuthenticate = grant.Challenge;
                await OciResponses.WriteErrorAsync(context, OciErrorCode.Unauthorized);
                return route.Kind;
            case AccessOutcome.Throttled:
                BerthMetrics.AuthFailures.WithLabels("throttled").Inc();
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(grant.RetryAfter!.Value.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await OciResponses.WriteErrorAsync(context, OciErrorCode.TooManyRequests, "too many failed logins from this address; try again later");
                return route.Kind;
            case AccessOutcome.Denied:
                BerthMetrics.AuthFailures.WithLabels("denied").Inc();
                if (grant.Challenge is not null)
                {
                    context.Response.Headers.WWWAuthenticate = grant.Challenge;
                }

                await OciResponses.WriteErrorAsync(context, OciErrorCode.Denied);
                return route.Kind;
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

        return route.Kind;
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
