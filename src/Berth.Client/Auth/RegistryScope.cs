namespace Berth.Client.Auth;

/// <summary>
/// The token scopes a request needs (<c>repository:NAME:ACTIONS</c>, <c>registry:catalog:*</c>), carried on the request so
/// the auth handler can ask the token server for exactly them before it is challenged.
/// </summary>
public static class RegistryScope
{
    public static readonly HttpRequestOptionsKey<string[]> Key = new("Berth.Scopes");

    public const string Catalog = "registry:catalog:*";

    public static string Pull(string repository) => $"repository:{repository}:pull";

    public static string PullPush(string repository) => $"repository:{repository}:pull,push";

    public static string Delete(string repository) => $"repository:{repository}:delete";

    public static HttpRequestMessage WithScopes(this HttpRequestMessage request, params string[] scopes)
    {
        request.Options.Set(Key, scopes);
        return request;
    }

    public static string[] ScopesOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Key, out var scopes) ? scopes : [];

    /// <summary>Scopes for the same resource merged (<c>pull</c> + <c>push</c> → <c>pull,push</c>), sorted: one cache key per need.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> scopes)
    {
        var merged = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var scope in scopes)
        {
            var lastColon = scope.LastIndexOf(':');
            if (lastColon <= 0)
            {
                continue;
            }

            var resource = scope[..lastColon];
            if (!merged.TryGetValue(resource, out var actions))
            {
                actions = new SortedSet<string>(StringComparer.Ordinal);
                merged[resource] = actions;
            }

            foreach (var action in scope[(lastColon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                actions.Add(action);
            }
        }

        return merged.Select(m => $"{m.Key}:{string.Join(',', m.Value)}").ToList();
    }
}
