using System.Globalization;

namespace Berth.Data.Quotas;

/// <summary>
/// Why a push was refused: the namespace's usage and quota, and what the refused blob would have added (0 for a
/// manifest, refused because the namespace is already over its quota).
/// </summary>
public sealed record QuotaRefusal(string Namespace, long UsedBytes, long LimitBytes, long NeededBytes)
{
    public string Message => NeededBytes > 0
        ? $"quota exceeded for namespace {Namespace}: {Format(UsedBytes)} used of {Format(LimitBytes)} allowed, this blob needs {Format(NeededBytes)}"
        : $"quota exceeded for namespace {Namespace}: {Format(UsedBytes)} used of {Format(LimitBytes)} allowed";

    /// <summary>Binary units with one decimal ("95.3 MiB"), bytes as they are below 1 KiB.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
