using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Index.Webhooks;

public static class WebhookIndexServices
{
    /// <summary>
    /// The index's side of webhooks: events written with each change, the feed the delivery worker queues deliveries
    /// from, the queue the API asks for pings and redeliveries. Called by the host with the rest of webhooks (<see cref="WebhookLinks"/>, the URL guard, the worker).
    /// </summary>
    public static IServiceCollection AddWebhookEvents(this IServiceCollection services)
    {
        services.TryAddSingleton<WebhookSignal>();
        services.AddScoped<WebhookFanout>();
        services.AddScoped<WebhookFeed>();
        services.AddScoped<IWebhookQueue, WebhookQueue>();
        return services;
    }
}
