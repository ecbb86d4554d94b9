using Berth.Index.Webhooks;
using Berth.Server.Hosting;

namespace Berth.Server.Webhooks;

internal static class WebhookServices
{
    /// <summary>
    /// Where the index runs (roles all and index): the index's side (<see cref="WebhookIndexServices.AddWebhookEvents"/>:
    /// events written with each change, the feed and the queue), the links payloads carry, the SSRF guard (also asked at create
    /// and update time through <see cref="IWebhookUrlGuard"/>) and the delivery worker.
    /// </summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, BerthOptions options)
    {
        if (!options.RunsIndex)
        {
            return services;
        }

        if (options.WebhookTimeoutSeconds <= 0 || options.WebhookRetryHours < 0 || options.WebhookDisableAfterHours <= 0
            || options.WebhookLogDays < 0 || options.WebhookRetryFirstSeconds <= 0 || options.WebhookRetryMaxSeconds < options.WebhookRetryFirstSeconds)
        {
            throw new ConfigurationException(
                "--webhook-timeout-seconds and --webhook-disable-after-hours must be positive, --webhook-retry-hours and --webhook-log-days not negative, and WebhookRetryMaxSeconds at least WebhookRetryFirstSeconds");
        }

        services.AddWebhookEvents();
        var guard = new WebhookAddressGuard(options.WebhookAllowHosts);
        var settings = new WebhookDeliverySettings(
            TimeSpan.FromSeconds(options.WebhookTimeoutSeconds),
            TimeSpan.FromHours(options.WebhookRetryHours),
            TimeSpan.FromHours(options.WebhookDisableAfterHours),
            TimeSpan.FromDays(options.WebhookLogDays),
            TimeSpan.FromSeconds(options.WebhookRetryFirstSeconds),
            TimeSpan.FromSeconds(options.WebhookRetryMaxSeconds));
        _ = string.IsNullOrWhiteSpace(options.PublicUrl) ? null : PublicUrl.Resolve(options.PublicUrl, null); // reported now if unusable
        services.AddSingleton(sp => new WebhookLinks(PublicUrl.Resolve(options.PublicUrl, sp.GetRequiredService<IConfiguration>()["urls"])));
        services.AddSingleton(guard);
        services.AddSingleton<IWebhookUrlGuard, WebhookUrlGuard>();
        services.AddSingleton(settings);
        services.AddSingleton(new WebhookSender(guard, settings.Timeout));
        services.AddHostedService<WebhookDeliveryWorker>();
        services.AddWebhookOpenApi();
        return services;
    }
}
