using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;

namespace Berth.Server.Hosting;

/// <summary>
/// One line per request in its own log category (<see cref="Category"/>), written when the request ends: method,
/// route (an endpoint's route template; for <c>/v2</c> the route kind and the repository), status, bytes in and out,
/// duration, user, client address and request id. Never the path's query, a header or a body, so never a token or a
/// password. Off with <c>--access-log false</c>, or with the category's level (<c>--Logging:LogLevel:Berth.Access None</c>),
/// in which case a request costs one level check.
/// </summary>
internal static partial class AccessLog
{
    public const string Category = "Berth.Access";

    /// <summary>First in the pipeline, so the line covers every request, also those a later middleware answers or fails.</summary>
    public static void UseAccessLog(this WebApplication app, BerthOptions options)
    {
        if (!options.AccessLog)
        {
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        app.Use(next => context => logger.IsEnabled(LogLevel.Information) ? LogAsync(context, next, logger) : next(context));
    }

    /// <summary>The request's entry while it is logged, for the handlers that know its route kind, repository and user.</summary>
    public static AccessLogEntry? Of(HttpContext context) => context.Features.Get<AccessLogEntry>();

    /// <summary>The authenticated caller, for handlers that authenticate it themselves (the registry, tokens, the REST API).</summary>
    public static void NoteUser(HttpContext context, string? user)
    {
        if (user is not null && Of(context) is { } entry)
        {
            entry.User = user;
        }
    }

    private static async Task LogAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var response = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var entry = new AccessLogEntry(response);
        context.Features.Set(entry);
        context.Features.Set<IHttpResponseBodyFeature>(entry);
        var requestBody = context.Features.Get<IRequestBodyPipeFeature>();
        if (requestBody is not null && context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true })
        {
            // Only requests with a body (uploads, forms, JSON) pay for counting it; GETs and HEADs have none.
            var counting = new CountingRequestBody(requestBody.Reader, entry);
            context.Features.Set<IRequestBodyPipeFeature>(counting);
            context.Request.Body = counting.AsStream();
        }

        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            context.Features.Set(response);
            var request = context.Request;
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            LogRequest(
                logger,
                request.Method,
                entry.Route ?? (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "-",
                entry.Repository is { Length: > 0 } repository ? repository : "-",
                status,
                entry.BytesIn,
                HttpMethods.IsHead(request.Method) ? 0 : entry.BytesOut,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                entry.User ?? context.Features.Get<IHttpAuthenticationFeature>()?.User?.Identity?.Name ?? "-",
                context.Connection.RemoteIpAddress,
                context.TraceIdentifier);
        }
    }

    [LoggerMessage(EventId = 1, EventName = "Request", Level = LogLevel.Information,
        Message = "{Method} {Route} {Repository} {Status} in={BytesIn} out={BytesOut} {DurationMs:0.0}ms user={User} client={Client} id={RequestId}")]
    private static partial void LogRequest(ILogger logger, string method, string route, string repository, int status, long bytesIn, long bytesOut,
        double durationMs, string user, IPAddress? client, string requestId);
}
