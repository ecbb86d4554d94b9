namespace Berth.Oci;

/// <summary>
/// A glob over tag names, as immutability rules and retention policies name tags: <c>*</c> matches any run of
/// characters (none too), <c>?</c> exactly one, anything else itself, case-sensitively as tags compare. The whole tag
/// must match (<c>v*</c> matches <c>v1.0</c>, not <c>xv1</c>). Valid patterns are what a tag may be, with <c>*</c> and
/// <c>?</c> allowed anywhere: <c>*</c> alone matches every tag.
/// </summary>
public static class TagPattern
{
    public static bool IsValid(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern) || pattern.Length > Tag.MaxLength)
        {
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var allowed = char.IsAsciiLetterOrDigit(c) || c is '_' or '*' or '?' || (i > 0 && c is '.' or '-');
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="tag"/> matches all of <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string tag)
    {
        // Iterative glob with backtracking to the last star: linear in practice, no regex to compile per rule.
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < tag.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == tag[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
