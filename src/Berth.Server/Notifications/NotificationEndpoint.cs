using Berth.Data.Events;
using Berth.Server.Hosting;

namespace Berth.Server.Notifications;

/// <summary>One configured endpoint, checked at start-up: a mistake is a <see cref="ConfigurationException"/> (exit 2).</summary>
internal sealed record NotificationEndpoint(
    string Name,
    Uri Url,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    TimeSpan Timeout,
    IReadOnlySet<string> IgnoredMediaTypes,
    IReadOnlySet<string> IgnoredActions)
{
    /// <summary>The actions Distribution names; Berth sends push and delete (pull and mount are accepted, and never sent).</summary>
    private static readonly string[] KnownActions = [RegistryActions.Push, RegistryActions.Delete, RegistryActions.Pull, "mount"];

    public const int MaxNameLength = 100;

    /// <summary>The outbox cursor's name: stable for as long as the endpoint keeps its name.</summary>
    public string Subscriber => "notify:" + Name;

    /// <summary>An absolute http(s) URL with a host and no user information (credentials belong in a header), or null.</summary>
    public static Uri? UsableUrl(string? given) =>
        Uri.TryCreate(given?.Trim(), UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0 && url.UserInfo.Length == 0 ? url : null;

    public static IReadOnlyList<NotificationEndpoint> FromOptions(NotificationOptions? options)
    {
        var endpoints = new List<NotificationEndpoint>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (given, index) in (options?.Endpoints ?? []).Select((e, i) => (e, i)))
        {
            var name = given.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                throw new ConfigurationException($"notification endpoint {index} needs a name (at most {MaxNameLength} characters, no spaces): Berth:Notifications:Endpoints:{index}:Name or --notify-endpoint NAME=URL");
            }

            if (!names.Add(name))
            {
                throw new ConfigurationException($"notification endpoint '{name}' is configured twice");
            }

            if (UsableUrl(given.Url) is not { } url)
            {
                throw new ConfigurationException($"notification endpoint '{name}': '{given.Url}' is not an absolute http(s) URL (credentials go in a header, not the URL)");
            }

            if (!double.IsFinite(given.TimeoutSeconds) || given.TimeoutSeconds <= 0 || given.TimeoutSeconds > 300)
            {
                throw new ConfigurationException($"notification endpoint '{name}': TimeoutSeconds must be above 0 and at most 300");
            }

            var headers = new List<KeyValuePair<string, string>>();
            foreach (var (header, value) in given.Headers)
            {
                if (header.Length == 0 || header.Any(c => c <= ' ' || c >= 127 || c == ':') || value.Any(c => c is '\r' or '\n' or '\0')
                    || header.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || header.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ConfigurationException($"notification endpoint '{name}': header '{header}' cannot be sent");
                }

                headers.Add(new(header, value));
            }

            var actions = new HashSet<string>(StringComparer.Ordinal);
            foreach (var action in given.IgnoredActions.Select(a => a.Trim().ToLowerInvariant()))
            {
                if (!KnownActions.Contains(action))
                {
                    throw new ConfigurationException($"notification endpoint '{name}': unknown action '{action}' in IgnoredActions (expected: {string.Join(", ", KnownActions)})");
                }

                actions.Add(action);
            }

            endpoints.Add(new NotificationEndpoint(
                name,
                url,
                headers,
                TimeSpan.FromSeconds(given.TimeoutSeconds),
                given.IgnoredMediaTypes.Select(m => m.Trim()).Where(m => m.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase),
                actions));
        }

        return endpoints;
    }
}
