namespace Berth.Index;

/// <summary>Times are stored in UTC; some providers read them back without a kind. Views always say UTC.</summary>
internal static class Times
{
    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static DateTime? Utc(DateTime? value) => value is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null;
}
