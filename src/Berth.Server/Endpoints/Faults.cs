using System.Data.Common;
using Berth.Oci;

namespace Berth.Server.Endpoints;

/// <summary>
/// Failures of the machinery underneath (database down, disk full), reported in the spec's error shape with
/// a status that tells the client whether retrying can help.
/// </summary>
internal static partial class Faults
{
    /// <summary>What a 503 tells the client to wait: a restarting database is usually back within seconds.</summary>
    public const string RetryAfterSeconds = "1";

    public static OciError? Classify(Exception exception) => exception switch
    {
        // A full disk first: SQLite reports it as SQLITE_FULL, the storage as ENOSPC. Retrying soon will not help.
        _ when IsDiskFull(exception) => new OciError(OciErrorCode.InsufficientStorage),
        DbException or InvalidOperationException { InnerException: DbException } =>
            new OciError(OciErrorCode.Unavailable, "the metadata database is unavailable; retry later"),
        Microsoft.EntityFrameworkCore.DbUpdateException =>
            new OciError(OciErrorCode.Unavailable, "the metadata database rejected the update; retry later"),
        // The PostgreSQL driver failing in itself: a statement in flight on a connection that PostgreSQL's restart broke
        // can end in a NullReferenceException or a protocol mismatch inside Npgsql 10.0.3 with automatic preparation,
        // instead of its NpgsqlException (FaultTests: 6 of 15 runs); the node serves the next requests as before. For the
        // client it is the database going away. Automatic preparation stays: without it a manifest GET on PostgreSQL
        // ran at a quarter of the rate, with a p99 of 0.7-0.9 s instead of 46 ms.
        _ when ThrownByTheDatabaseDriver(exception) =>
            new OciError(OciErrorCode.Unavailable, "the metadata database connection failed; retry later"),
        IOException =>
            new OciError(OciErrorCode.Unavailable, "storage is unavailable; retry later"),
        // The S3 store unreachable (connection refused, reset, timed out after the SDK's retries) or failing (5xx):
        // transient like a disk that went away. A 4xx from S3 (denied, no such bucket) is a configuration error: 500.
        HttpRequestException or Amazon.Runtime.AmazonClientException
            or Amazon.Runtime.AmazonServiceException { StatusCode: 0 or >= System.Net.HttpStatusCode.InternalServerError }
            or Amazon.Runtime.AmazonServiceException { InnerException: HttpRequestException or IOException or System.Net.Sockets.SocketException } =>
            new OciError(OciErrorCode.Unavailable, "storage is unavailable; retry later"),
        _ => new OciError(OciErrorCode.Unknown, "internal error"),
    };

    private const int SqliteFull = 13; // SQLITE_FULL

    private static bool ThrownByTheDatabaseDriver(Exception exception) =>
        ThrownFromNpgsql(exception) || (exception.InnerException is { } inner && ThrownFromNpgsql(inner));

    /// <summary>
    /// Whether the innermost frame outside the framework (<c>System.*</c>: throw helpers, collections) is Npgsql's:
    /// where the failure arose, not where it was last awaited.
    /// </summary>
    private static bool ThrownFromNpgsql(Exception exception)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(exception).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType?.FullName;
            if (type is null || type.StartsWith("System.", StringComparison.Ordinal))
            {
                continue;
            }

            return type.StartsWith("Npgsql.", StringComparison.Ordinal);
        }

        return false;
    }

    private static bool IsDiskFull(Exception exception) =>
        Berth.Registry.Storage.DiskFull.Is(exception)
        || exception is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteFull }
        || exception.InnerException is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteFull };

    public static void Log(ILoggerFactory loggers, Exception exception, string method, string path)
    {
        var logger = loggers.CreateLogger("Berth.Server.Faults");
        if (IsDiskFull(exception))
        {
            // Expected and self-explanatory: one line, no stack (the upload's own warning says what was dropped).
            LogDiskFull(logger, method, path, exception.Message);
            return;
        }

        LogFault(logger, exception, method, path);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} /v2{Path} refused: the disk is full ({Reason})")]
    private static partial void LogDiskFull(ILogger logger, string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} /v2{Path} failed")]
    private static partial void LogFault(ILogger logger, Exception exception, string method, string path);
}
