using Berth.Oci;

namespace Berth.Server.Endpoints;

/// <summary>
/// The outermost catch: a request outside <c>/v2</c> (tokens, the index API) whose database or storage failed
/// underneath gets a 503 with <c>Retry-After</c> in its API's error shape, not a bare 500. <c>/v2</c> maps its own
/// faults (<see cref="RegistryApi"/>); anything else still fails as the framework reports it.
/// </summary>
internal static partial class FaultResponses
{
    public static IApplicationBuilder UseFaultResponses(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested
            && !context.Response.HasStarted
            && Faults.Classify(e) is { Code: OciErrorCode.Unavailable } fault)
        {
            LogFault(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Berth.Server.Faults"), e, context.Request.Method, context.Request.Path);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = Faults.RetryAfterSeconds;
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                await Results.Problem(fault.Message, statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
                return;
            }

            // /token and the rest answer registry clients, who read the registry's error shape.
            await OciResponses.WriteErrorAsync(context, fault);
        }
    });

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFault(ILogger logger, Exception exception, string method, string path);
}
