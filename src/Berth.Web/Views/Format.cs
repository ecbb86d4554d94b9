using System.Globalization;

namespace Berth.Web.Views;

/// <summary>How numbers, sizes, digests and times read on a page.</summary>
internal static class Format
{
    private static readonly string[] Units = ["B", "KB", "MB", "GB", "TB"];

    public static string Size(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < Units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary><c>sha256:</c> and the first 12 hex digits, as registries usually show them.</summary>
    public static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 || digest.Length < colon + 13 ? digest : digest[..(colon + 13)];
    }

    /// <summary>ISO 8601 in UTC, for the <c>datetime</c> attribute.</summary>
    public static string Iso(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A readable UTC time; the same on the server and for every visitor, so pages cache and compare.</summary>
    public static string Time(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset at) => Time(at.UtcDateTime);

    public static string Query(params (string Name, string? Value)[] parameters) =>
        "?" + string.Join("&", parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));

    /// <summary>A repository's page; each name component escaped, the slashes kept.</summary>
    public static string RepositoryUrl(string name) => "/r/" + name;

    public static string TagUrl(string repository, string tag) => $"/r/{repository}/-/tags/{Uri.EscapeDataString(tag)}";

    public static string ManifestUrl(string repository, string digest) => $"/r/{repository}/-/manifests/{digest}";

    public static string Words(IReadOnlyList<string> words) => string.Join(" ", words.Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"\"{w}\"" : w));
}
