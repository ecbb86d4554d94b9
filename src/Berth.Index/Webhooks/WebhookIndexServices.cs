using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Index.Webhooks;

public static class WebhookIndexServices
{
    /// <summary>
    /// The index's side of webhooks: deliveries written with each change, the queue the API asks for pings and
    /// redeliveries. The host adds <see cref="WebhookLinks"/>, the <see cref="IWebhookUrlGuard"/> and the worker.
    /// </summary>
    public static IServiceCollection AddWebhookEvents(this IServiceCollection services)
    {
        services.TryAddSingleton<WebhookSignal>();
        services.AddScoped<WebhookFanout>();
        services.AddScoped<IWebhookQueue, WebhookQueue>();
        return services;
    }
}
