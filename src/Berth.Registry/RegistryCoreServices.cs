using Berth.Data;
using Berth.Registry.Blobs;
using Berth.Registry.Catalog;
using Berth.Registry.Events;
using Berth.Registry.Gc;
using Berth.Registry.Manifests;
using Berth.Registry.Retention;
using Berth.Registry.Uploads;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Registry;

public static class RegistryCoreServices
{
    /// <summary>The OCI services over whatever storage driver and database the host registered.</summary>
    public static IServiceCollection AddRegistryCore(this IServiceCollection services)
    {
        services.TryAddSingleton(new RepositoryDefaults());
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<PullCounter>();
        services.TryAddSingleton(UploadSettings.Default);
        services.TryAddSingleton<PublishGate>();
        services.AddScoped<RegistryCaller>();
        services.AddScoped<IBlobStore, BlobStore>();
        services.AddScoped<IUploadService, UploadService>();
        services.AddScoped<IManifestStore, ManifestStore>();
        services.TryAddScoped<ManifestStore>();
        services.AddScoped<TagRetention>();
        services.AddScoped<IRepositoryCatalog, RepositoryCatalog>();
        services.AddScoped<IGarbageCollector, GarbageCollector>();
        return services;
    }
}
