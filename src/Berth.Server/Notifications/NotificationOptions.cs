namespace Berth.Server.Notifications;

/// <summary>
/// Registry notifications as CNCF Distribution configures them (<c>notifications.endpoints</c>): the
/// <c>Berth:Notifications</c> section, and <c>--notify-endpoint NAME=URL</c> on the command line.
/// </summary>
public sealed class NotificationOptions
{
    public List<NotificationEndpointOptions> Endpoints { get; set; } = [];
}

/// <summary>One endpoint (Distribution's <c>name</c>, <c>url</c>, <c>headers</c>, <c>timeout</c>, <c>ignore</c>).</summary>
public sealed class NotificationEndpointOptions
{
    /// <summary>Unique; names the endpoint's delivery cursor (<c>notify:NAME</c>): renaming it starts delivery over.</summary>
    public string? Name { get; set; }

    /// <summary>Absolute http(s) URL the envelopes are POSTed to.</summary>
    public string? Url { get; set; }

    /// <summary>Headers sent with every request (e.g. <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one request may take (default 5 s; Distribution's default is 1 s).</summary>
    public double TimeoutSeconds { get; set; } = 5;

    /// <summary>Events whose <c>target.mediaType</c> is one of these are not sent (Distribution's <c>ignoredmediatypes</c>, <c>ignore.mediatypes</c>).</summary>
    public List<string> IgnoredMediaTypes { get; set; } = [];

    /// <summary>Events with one of these actions are not sent (Distribution's <c>ignore.actions</c>: push, delete).</summary>
    public List<string> IgnoredActions { get; set; } = [];
}
