using System.Diagnostics.CodeAnalysis;

namespace Berth.Oci;

/// <summary>
/// Repository names per the distribution spec:
/// <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*</c>, at most 255 characters.
/// Checked by hand so no input (dots, percent escapes, NULs) can ever reach a storage key unchecked.
/// </summary>
public static class RepositoryName
{
    public const int MaxLength = 255;

    public static bool IsValid([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var range in name.AsSpan().Split('/'))
        {
            if (!IsValidComponent(name.AsSpan()[range]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidComponent(ReadOnlySpan<char> component)
    {
        if (component.IsEmpty || !IsAlphaNumeric(component[0]) || !IsAlphaNumeric(component[^1]))
        {
            return false;
        }

        var i = 0;
        while (i < component.Length)
        {
            var c = component[i];
            if (IsAlphaNumeric(c))
            {
                i++;
                continue;
            }

            // A separator run: ".", "_", "__" or one or more "-"; always followed by an alphanumeric.
            var start = i;
            if (c == '.')
            {
                i++;
            }
            else if (c == '_')
            {
                i++;
                if (i < component.Length && component[i] == '_')
                {
                    i++;
                }
            }
            else if (c == '-')
            {
                while (i < component.Length && component[i] == '-')
                {
                    i++;
                }
            }
            else
            {
                return false;
            }

            if (i == start || i >= component.Length || !IsAlphaNumeric(component[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlphaNumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
