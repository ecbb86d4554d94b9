using Berth.Registry.Events;
using Berth.Server.Hosting;

namespace Berth.Server.Notifications;

/// <summary>
/// Wires the configured notification endpoints (<c>Berth:Notifications:Endpoints</c>, <c>--notify-endpoint</c>) as
/// outbox subscribers, in every role that runs a registry, with or without an index. Checked here, before anything starts.
/// </summary>
internal static partial class NotificationServices
{
    /// <summary>Before the outbox dispatcher is added: the new endpoints' cursors must be made before it starts.</summary>
    public static IServiceCollection AddRegistryNotifications(this IServiceCollection services, BerthOptions options)
    {
        var endpoints = NotificationEndpoint.FromOptions(options.Notifications);
        if (endpoints.Count == 0)
        {
            return services;
        }

        _ = PublicUrl.Resolve(options.PublicUrl, null); // an unusable --public-url is a configuration error, reported now
        var instanceId = Guid.NewGuid().ToString();
        services.AddHostedService(sp => new NotificationCursors(
            endpoints.Select(e => e.Subscriber).ToList(),
            sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<ILogger<NotificationCursors>>()));
        foreach (var endpoint in endpoints)
        {
            services.AddSingleton<IOutboxSubscriber>(sp =>
            {
                var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(NotificationSubscriber));
                LogConfigured(logger, endpoint.Name, endpoint.Url.Scheme, endpoint.Url.Authority, endpoint.Timeout.TotalSeconds, endpoint.Headers.Count);
                return new NotificationSubscriber(
                    endpoint,
                    new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan },
                    PublicUrl.Resolve(options.PublicUrl, sp.GetRequiredService<IConfiguration>()["urls"]),
                    instanceId);
            });
        }

        return services;
    }

    /// <summary>A process without a registry has no events to send: endpoints configured there are a mistake.</summary>
    public static void RefuseWithoutRegistry(BerthOptions options)
    {
        if (options.Notifications.Endpoints.Count > 0)
        {
            throw new ConfigurationException("notification endpoints (--notify-endpoint, Berth:Notifications) need a registry in this process (role all or registry)");
        }
    }

    // The endpoint's scheme and host only: a path or query may hold a token, headers certainly do.
    [LoggerMessage(Level = LogLevel.Information, Message = "Registry notifications go to endpoint {Name} ({Scheme}://{Host}), timeout {TimeoutSeconds} s, {HeaderCount} configured headers")]
    private static partial void LogConfigured(ILogger logger, string name, string scheme, string host, double timeoutSeconds, int headerCount);
}
