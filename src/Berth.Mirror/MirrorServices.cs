using Berth.Data;
using Berth.Registry.Blobs;
using Berth.Registry.Manifests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

public static class MirrorServices
{
    /// <summary>
    /// Makes the registry a pull-through mirror of <paramref name="upstreams"/>: decorates the blob and manifest stores
    /// <c>AddRegistryCore</c> registered. Call after it, and only with at least one upstream (none: nothing changes).
    /// </summary>
    public static IServiceCollection AddMirror(this IServiceCollection services, IReadOnlyList<UpstreamOptions> upstreams, MirrorSettings? settings = null)
    {
        if (upstreams.Count == 0)
        {
            return services;
        }

        MirrorValidation.Check(upstreams);
        services.AddSingleton(settings ?? MirrorSettings.Default);
        services.AddSingleton(sp => new MirrorRouter(upstreams.Select(u => new Upstream(u, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()))));
        // Repositories the mirror creates record their upstream and get the visibility of its pull policy.
        var plain = services.LastOrDefault(d => d.ServiceType == typeof(RepositoryDefaults))?.ImplementationInstance as RepositoryDefaults ?? new RepositoryDefaults();
        services.RemoveAll<RepositoryDefaults>();
        services.AddSingleton(sp =>
        {
            var router = sp.GetRequiredService<MirrorRouter>();
            return plain with { Origin = name => router.Resolve(name)?.Upstream.Origin };
        });
        services.AddSingleton<MirrorStats>();
        services.AddSingleton<FetchLeases>();
        services.AddSingleton<BlobFetches>();
        services.AddSingleton<UpstreamBackoff>();
        services.AddScoped<MirrorResponse>();
        services.AddScoped<BlobStore>();
        services.AddScoped<ManifestStore>();
        services.Replace(ServiceDescriptor.Scoped<IBlobStore, MirrorBlobStore>());
        services.Replace(ServiceDescriptor.Scoped<IManifestStore, MirrorManifestStore>());
        return services;
    }
}
