using Berth.Server.Hosting;

namespace Berth.Server.Gc;

/// <summary>Where the registry runs: the collector's settings, its runner, the upload purge and the worker running both; with the index, its admin API.</summary>
internal static class GcSetup
{
    public static IServiceCollection AddGarbageCollection(this IServiceCollection services, BerthOptions options)
    {
        if (!options.RunsRegistry)
        {
            return services;
        }

        services.AddSingleton(options.Gc.Parse(options.UploadIdleSeconds));
        services.AddSingleton<GcRunner>();
        services.AddSingleton<UploadPurge>();
        services.AddHostedService<GcWorker>();
        return services;
    }

    public static void MapGarbageCollection(this WebApplication app, BerthOptions options)
    {
        if (options.RunsRegistry && options.RunsIndex)
        {
            app.MapGcApi();
        }
    }
}
