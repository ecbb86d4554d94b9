using Berth.Oci;

namespace Berth.Server.Api;

/// <summary>
/// What follows <c>/api/v1/repositories/</c>: a repository name, which may contain slashes, then optionally
/// <c>/-/</c> and a sub-resource (<c>team/app/-/comments/7</c>). <c>-</c> can never be a name component, so the
/// first <c>/-/</c> always ends the name.
/// </summary>
internal readonly record struct RepositoryPath(string Name, string? Resource)
{
    public const string Separator = "/-/";

    /// <summary>
    /// Splits and validates a path. A name sent as one percent-encoded segment (<c>team%2Fapp</c>, what generated
    /// clients send for a <c>{name}</c> parameter) is accepted too.
    /// </summary>
    public static bool TryParse(string? path, out RepositoryPath result)
    {
        result = default;
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        var split = path.IndexOf(Separator, StringComparison.Ordinal);
        var name = DecodeSlashes(split < 0 ? path : path[..split]);
        var resource = split < 0 ? null : path[(split + Separator.Length)..];
        if (!RepositoryName.IsValid(name) || resource is { Length: 0 })
        {
            return false;
        }

        result = new RepositoryPath(name, resource);
        return true;
    }

    /// <summary>The name from a single <c>{name}</c> route segment.</summary>
    public static string DecodeSlashes(string name) =>
        name.Contains('%', StringComparison.Ordinal) ? name.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : name;

    /// <summary>
    /// Matches <see cref="Resource"/> against a pattern such as <c>comments/{id}</c>. The values of its <c>{…}</c>
    /// segments are returned in <paramref name="argument"/>, joined with <c>/</c> when there are several (a value is
    /// one segment, so it never contains one).
    /// </summary>
    public bool Matches(string pattern, out string? argument)
    {
        argument = null;
        var resource = Resource ?? "";
        if (pattern.Length == 0 || resource.Length == 0)
        {
            return pattern.Length == resource.Length;
        }

        var expected = pattern.Split('/');
        var actual = resource.Split('/');
        if (expected.Length != actual.Length)
        {
            return false;
        }

        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i].StartsWith('{'))
            {
                if (actual[i].Length == 0)
                {
                    return false;
                }

                argument = argument is null ? actual[i] : argument + "/" + actual[i];
            }
            else if (!string.Equals(expected[i], actual[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
