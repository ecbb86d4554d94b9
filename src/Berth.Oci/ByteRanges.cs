using System.Globalization;

namespace Berth.Oci;

/// <summary>Parses the two range headers of the protocol.</summary>
public static class ByteRanges
{
    /// <summary>
    /// An upload chunk's <c>Content-Range: &lt;start&gt;-&lt;end&gt;</c> (inclusive). Strictly the spec's
    /// <c>^[0-9]+-[0-9]+$</c>: a unit or a total would be a different protocol, and guessing loses bytes.
    /// </summary>
    public static bool TryParseContentRange(string? header, out long start, out long end)
    {
        start = end = 0;
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        var text = header.AsSpan();
        var dash = text.IndexOf('-');
        return dash > 0
            && TryParseNonNegative(text[..dash], out start)
            && TryParseNonNegative(text[(dash + 1)..], out end)
            && end >= start;
    }

    /// <summary>
    /// A GET's <c>Range: bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> against a resource of <paramref name="length"/> bytes.
    /// Returns null for a header we do not honour (multiple ranges, other units: serve the whole body),
    /// false in <paramref name="satisfiable"/> for a range outside the content (416).
    /// </summary>
    public static (long Offset, long Count)? ParseRange(string? header, long length, out bool satisfiable)
    {
        satisfiable = true;
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var spec = header.AsSpan(6).Trim();
        if (spec.Contains(','))
        {
            return null;
        }

        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            satisfiable = false;
            return null;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.IsEmpty)
        {
            if (!TryParseNonNegative(last, out var suffix) || suffix == 0 || length == 0)
            {
                satisfiable = false;
                return null;
            }

            var count = Math.Min(suffix, length);
            return (length - count, count);
        }

        if (!TryParseNonNegative(first, out var start) || start >= length)
        {
            satisfiable = false;
            return null;
        }

        var end = length - 1;
        if (!last.IsEmpty)
        {
            if (!TryParseNonNegative(last, out end) || end < start)
            {
                satisfiable = false;
                return null;
            }

            end = Math.Min(end, length - 1);
        }

        return (start, end - start + 1);
    }

    private static bool TryParseNonNegative(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
