using Berth.Oci;

namespace Berth.Client.Index;

/// <summary>
/// Whose webhooks, tag immutability rules or retention policies a call is about: a repository's, an organisation's, or
/// the signed-in user's own namespace.
/// </summary>
public sealed record WebhookOwner
{
    private WebhookOwner(string scope, string description)
    {
        Scope = scope;
        Description = description;
    }

    /// <summary>The API path of the owner's webhook list, relative to the host.</summary>
    internal string Path => Scope + "webhooks";

    /// <summary>The API path the owner's collections hang under (<c>…/-/</c>, <c>orgs/{org}/</c>, <c>user/</c>).</summary>
    internal string Scope { get; }

    /// <summary>For messages: "repository team/app", "organisation acme", "your namespace".</summary>
    public string Description { get; }

    public static WebhookOwner User { get; } = new("api/v1/user/", "your namespace");

    /// <summary>A repository; its name keeps its slashes (the API's <c>/-/</c> separates the sub-resource).</summary>
    public static WebhookOwner Repository(string name) =>
        RepositoryName.IsValid(name)
            ? new($"api/v1/repositories/{name}/-/", $"repository {name}")
            : throw new ArgumentException($"'{name}' is not a valid repository name", nameof(name));

    public static WebhookOwner Organization(string name) =>
        name.Length > 0 && !name.Contains('/', StringComparison.Ordinal)
            ? new($"api/v1/orgs/{Uri.EscapeDataString(name)}/", $"organisation {name}")
            : throw new ArgumentException($"'{name}' is not a valid organisation name", nameof(name));

    public override string ToString() => Description;
}
