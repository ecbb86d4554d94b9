namespace Berth.Server.Auth;

/// <summary>
/// One resource and the actions a request needs on it, in the terms of the Docker token spec
/// (<c>repository:ns/app:pull,push</c>, <c>registry:catalog:*</c>).
/// </summary>
/// <param name="Optional">
/// Wanted rather than needed (a mount's source): the request goes on without it, but a token that was never asked
/// for it is challenged for it, so a client learns to ask.
/// </param>
public sealed record AccessRequest(string Type, string Name, IReadOnlyList<string> Actions, bool Optional = false)
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";

    public static AccessRequest Repository(string name, params string[] actions) => new("repository", name, actions);

    public static AccessRequest Catalog { get; } = new("registry", "catalog", ["*"]);

    /// <summary>The scope string a Bearer challenge names.</summary>
    public string Scope => $"{Type}:{Name}:{string.Join(',', Actions)}";
}
