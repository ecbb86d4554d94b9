using Berth.Index.Permissions;
using Berth.Mirror;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Server.Hosting;

/// <summary>The pull-through mirror (docs/MIRROR.md), where this process runs the registry and mirrors are configured.</summary>
internal static class MirrorSetup
{
    public static IServiceCollection AddBerthMirror(this IServiceCollection services, BerthOptions options)
    {
        if (options.Mirrors.Count == 0)
        {
            return services;
        }

        if (!options.RunsRegistry)
        {
            throw new ConfigurationException("--mirror needs a process that runs the registry (--role all or registry)");
        }

        if (MirrorValidation.Problem(options.Mirrors) is { } problem)
        {
            throw new ConfigurationException(problem);
        }

        // Who may pull mirrored names is decided where every other permission is (IPermissionService), by their policy.
        services.Replace(ServiceDescriptor.Singleton<IMirroredNames, RouterMirroredNames>());
        if (options.MirrorStalledClientSeconds < 1)
        {
            throw new ConfigurationException("--Berth:MirrorStalledClientSeconds must be at least 1");
        }

        return services.AddMirror(options.Mirrors, MirrorSettings.Default with { StalledClient = TimeSpan.FromSeconds(options.MirrorStalledClientSeconds) });
    }
}
