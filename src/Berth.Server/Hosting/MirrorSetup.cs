using Berth.Mirror;

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

        return services.AddMirror(options.Mirrors);
    }
}
