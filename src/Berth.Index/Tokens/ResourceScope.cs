namespace Berth.Index.Tokens;

/// <summary>
/// One <c>type:name:actions</c> entry of a token request or grant. The name may itself contain colons
/// (<c>repository:localhost:5000/app:pull</c>), so the type ends at the first colon and the actions start after the last.
/// </summary>
public sealed record ResourceScope(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string Repository = "repository";
    public const string Registry = "registry";

    /// <summary>Parses every scope in the <c>scope</c> parameters (repeated, or space-separated in the OAuth2 POST form).</summary>
    public static IReadOnlyList<ResourceScope> ParseAll(IEnumerable<string?> parameters)
    {
        var scopes = new List<ResourceScope>();
        foreach (var parameter in parameters)
        {
            if (string.IsNullOrWhiteSpace(parameter))
            {
                continue;
            }

            foreach (var item in parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (TryParse(item, out var scope))
                {
                    scopes.Add(scope);
                }
            }
        }

        return scopes;
    }

    public static bool TryParse(string text, out ResourceScope scope)
    {
        scope = null!;
        var first = text.IndexOf(':', StringComparison.Ordinal);
        var last = text.LastIndexOf(':');
        if (first <= 0 || last == first || last == text.Length - 1 || text.Length > 1024)
        {
            return false;
        }

        var actions = text[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        scope = new ResourceScope(text[..first], text[(first + 1)..last], actions);
        return actions.Length > 0;
    }

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";
}
