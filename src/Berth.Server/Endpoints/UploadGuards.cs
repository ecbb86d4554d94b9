using Berth.Oci;
using Berth.Server.Hosting;

namespace Berth.Server.Endpoints;

/// <summary>
/// What stops an upload's bytes before or while they stream: a disk below its free-space reserve (<see cref="DiskSpace"/>),
/// refused up front with the same 507 a full disk gives, and a server shutting down (<see cref="GracefulShutdown"/>).
/// </summary>
internal static class UploadGuards
{
    /// <summary>What a body stopped by a shutdown is answered: what arrived is recorded, the client resumes from <c>Range</c>.</summary>
    private static readonly OciError ShuttingDown = new(OciErrorCode.Unavailable,
        "the registry is shutting down; resume the upload from the offset in Range (GET the upload's URL)");

    /// <summary>Answers 507 and returns true when the disk is below its reserve; reads and deletes never ask.</summary>
    public static async Task<bool> RefusedForSpaceAsync(HttpContext context)
    {
        if (!context.RequestServices.GetRequiredService<DiskSpace>().IsLow())
        {
            return false;
        }

        await OciResponses.WriteErrorAsync(context, new OciError(OciErrorCode.InsufficientStorage,
            "the registry's disk is full: pushes are refused until space is freed; pulls work"));
        return true;
    }

    /// <summary>
    /// Runs an upload whose body streams, with the request's token also cancelled when a shutdown stops uploads; any
    /// failure after that stop (the body cut short, or the cancellation itself) is <see cref="ShuttingDown"/>.
    /// </summary>
    public static async Task<Result<T>> StreamAsync<T>(HttpContext context, Func<CancellationToken, Task<Result<T>>> upload)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, Stopping(context));
        try
        {
            var result = await upload(cancellation.Token);
            return !result.IsSuccess && Stopped(context) ? ShuttingDown : result;
        }
        catch (OperationCanceledException) when (Stopped(context))
        {
            return ShuttingDown;
        }
    }

    /// <summary>Adds <c>Retry-After</c> when <paramref name="error"/> is a shutdown's; says whether it was.</summary>
    public static bool SetRetryAfter(HttpContext context, OciError error)
    {
        if (!ReferenceEquals(error, ShuttingDown))
        {
            return false;
        }

        if (!context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = Faults.RetryAfterSeconds;
        }

        return true;
    }

    /// <summary>True once a shutdown has stopped uploads (and the client is still there to be told).</summary>
    private static bool Stopped(HttpContext context) =>
        Stopping(context).IsCancellationRequested && !context.RequestAborted.IsCancellationRequested;

    private static CancellationToken Stopping(HttpContext context) =>
        context.RequestServices.GetRequiredService<GracefulShutdown>().UploadsStopping;
}
