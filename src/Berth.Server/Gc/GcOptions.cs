using System.Globalization;
using Berth.Server.Hosting;

namespace Berth.Server.Gc;

/// <summary>
/// <c>Berth:Gc</c>: how the online garbage collector runs. Durations as <c>0s</c>, <c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>.
/// </summary>
public sealed class GcOptions
{
    /// <summary>How long a candidate (and a blob link no manifest names yet) waits before review (<c>--gc-grace</c>).</summary>
    public string Grace { get; set; } = "24h";

    /// <summary>Untagged manifests (not named by a kept index, not referrers) go after this long; unset: never (<c>--gc-untagged-after</c>).</summary>
    public string? UntaggedAfter { get; set; }

    /// <summary>How often the worker looks for due candidates; <c>off</c> runs passes only when asked (<c>--gc-interval</c>).</summary>
    public string Interval { get; set; } = "1h";

    /// <summary>The settings parsed; a <see cref="ConfigurationException"/> names the bad one.</summary>
    /// <param name="uploadIdleSeconds"><c>--upload-idle-seconds</c>: how long an upload session may idle before it is purged.</param>
    internal GcSettings Parse(int uploadIdleSeconds) => new(
        Duration(Grace, "--gc-grace"),
        UntaggedAfter is { Length: > 0 } untagged && untagged != "off" ? Duration(untagged, "--gc-untagged-after") : null,
        Interval == "off" ? null : Positive(Duration(Interval, "--gc-interval"), "--gc-interval"),
        TimeSpan.FromSeconds(Math.Max(1, uploadIdleSeconds)));

    /// <summary>A non-negative whole number of s, m, h or d.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is not { Length: >= 2 } || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 100_000_000)
        {
            return false;
        }

        TimeSpan? unit = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            _ => null,
        };
        if (unit is not { } u)
        {
            return false;
        }

        duration = u * count;
        return true;
    }

    internal static TimeSpan Duration(string text, string option) =>
        TryParseDuration(text.Trim(), out var duration)
            ? duration
            : throw new ConfigurationException($"{option} '{text}' is not a duration (e.g. 0s, 30m, 24h, 7d)");

    private static TimeSpan Positive(TimeSpan duration, string option) =>
        duration > TimeSpan.Zero ? duration : throw new ConfigurationException($"{option} must be longer than 0s (or off)");
}

/// <summary>The parsed <see cref="GcOptions"/>: the worker's interval null when it only runs on request.</summary>
internal sealed record GcSettings(TimeSpan Grace, TimeSpan? UntaggedAfter, TimeSpan? Interval, TimeSpan UploadIdle);
