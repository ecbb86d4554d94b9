using Berth.Data.Postgres;
using Berth.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Console;

namespace Berth.Server.Hosting;

/// <summary>
/// The console log: one line per entry, each with its UTC time (ISO 8601) and level, and, while a request is served,
/// its request id (ASP.NET's connection:request identifier) and W3C trace id as scopes. <c>--log-format json</c>:
/// one JSON object per line (the framework's JSON formatter, scopes included) for log shippers.
/// </summary>
internal static class LoggingSetup
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static void AddBerthLogging(this WebApplicationBuilder builder, BerthOptions options)
    {
        var logging = builder.Logging;

        // The request's W3C trace id, besides the host's own RequestId scope; span and parent ids make every line
        // longer and are for tracing systems, which read them from the activity, not the log.
        logging.Configure(factory => factory.ActivityTrackingOptions = ActivityTrackingOptions.TraceId);
        switch (options.LogFormat.ToLowerInvariant())
        {
            case "text":
                logging.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.IncludeScopes = true;
                    console.TimestampFormat = Timestamp + " ";
                    console.UseUtcTimestamp = true;
                });
                break;
            case "json":
                logging.AddJsonConsole(console =>
                {
                    console.IncludeScopes = true;
                    console.TimestampFormat = Timestamp;
                    console.UseUtcTimestamp = true;
                    console.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                break;
            default:
                throw new ConfigurationException($"--log-format must be text or json, not '{options.LogFormat}'");
        }

        QuietHandledDatabaseErrors(builder.Services);
    }

    /// <summary>
    /// EF Core logs every failed command and save as an error with its stack, before the exception reaches the code
    /// that called it. Some failures are expected and handled there (a unique-key race between two first pushes of a
    /// repository: the loser reads the winner's row); every other one is reported by its caller (the request's fault
    /// log, a background service's warning, the host's unhandled-exception error). So EF's own copies are debug lines.
    /// </summary>
    private static void QuietHandledDatabaseErrors(IServiceCollection services)
    {
        static void Configure(DbContextOptionsBuilder options) => options.ConfigureWarnings(w => w.Log(
            (RelationalEventId.CommandError, LogLevel.Debug),
            (CoreEventId.SaveChangesFailed, LogLevel.Debug)));

        services.ConfigureDbContext<SqliteBerthDbContext>(Configure);
        services.ConfigureDbContext<PostgresBerthDbContext>(Configure);
    }
}
