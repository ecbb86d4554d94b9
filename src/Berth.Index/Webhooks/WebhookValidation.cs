using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

/// <summary>What a webhook's target, event list and description must be; each error names its field.</summary>
internal static class WebhookValidation
{
    public const int MaxDescription = 1000;

    public static IndexError? Url(string url)
    {
        if (url.Length > Webhook.MaxUrlLength)
        {
            return IndexError.Invalid($"url is limited to {Webhook.MaxUrlLength} characters");
        }

        // Uri.TryCreate reads "/x" as a file path on Unix, so the scheme check below is what refuses relative URLs.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return IndexError.Invalid("url must be an absolute http or https URL");
        }

        // Credentials in the URL would be shown to every admin and written to logs; a receiver authenticates the
        // sender by the signature instead.
        return uri.UserInfo.Length > 0 ? IndexError.Invalid("url must not carry a user name or password") : null;
    }

    /// <summary>The events as stored: known, without repeats, in <see cref="WebhookEventTypes.Subscribable"/> order.</summary>
    public static Outcome<string> Events(IReadOnlyList<string>? events)
    {
        if (events is null)
        {
            return string.Join(',', WebhookEventTypes.Subscribable);
        }

        if (events.Count == 0)
        {
            return IndexError.Invalid($"events must name at least one of: {string.Join(", ", WebhookEventTypes.Subscribable)}");
        }

        var unknown = events.Where(e => !WebhookEventTypes.IsSubscribable(e)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            return IndexError.Invalid(
                $"events has unknown event types: {string.Join(", ", unknown.Select(e => $"'{e}'"))}; known: {string.Join(", ", WebhookEventTypes.Subscribable)}");
        }

        return string.Join(',', WebhookEventTypes.Subscribable.Where(t => events.Contains(t, StringComparer.Ordinal)));
    }

    public static IndexError? Description(string? description) =>
        description is { Length: > MaxDescription } ? IndexError.Invalid($"description is limited to {MaxDescription} characters") : null;

    public static IReadOnlyList<string> ParseEvents(string stored) => stored.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
