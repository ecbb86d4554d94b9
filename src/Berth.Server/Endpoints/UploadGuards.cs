using Berth.Oci;
using Berth.Server.Hosting;

namespace Berth.Server.Endpoints;

/// <summary>
/// What stops an upload's bytes before or while they stream: a disk below its free-space reserve (<see cref="DiskSpace"/>),
/// refused up front with the same 507 a full disk gives, and a server shutting down (<see cref="GracefulShutdown"/>).
/// </summary>
internal static class UploadGuards
{
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

    /// <summary>The request's own token, cancelled also when a shutdown stops uploads.</summary>
    public static CancellationTokenSource BodyCancellation(HttpContext context) =>
        CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, Stopping(context));

    /// <summary>True once a shutdown has stopped uploads (and the client is still there to be told).</summary>
    public static bool Stopped(HttpContext context) =>
        Stopping(context).IsCancellationRequested && !context.RequestAborted.IsCancellationRequested;

    private static CancellationToken Stopping(HttpContext context) =>
        context.RequestServices.GetRequiredService<GracefulShutdown>().UploadsStopping;
}
