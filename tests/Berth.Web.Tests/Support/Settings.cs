using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Web.Tests.Support;

/// <summary>Organisations and repositories made for the settings tests, and reads of their state over the REST API.</summary>
public static class Settings
{
    /// <summary>A new organisation owned by <paramref name="owner"/> (made over the API; the UI's form is tested on its own).</summary>
    public static async Task<string> NewOrganisationAsync(WebSite site, string owner, string prefix = "org")
    {
        var name = $"{prefix}{Guid.NewGuid().ToString("N")[..6]}";
        await site.Registry(owner, WebSite.Password).ApiAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = name }, HttpStatusCode.Created);
        return name;
    }

    /// <summary>Pushes a one-layer image to <paramref name="repository"/> as <paramref name="user"/> and waits until the index shows it.</summary>
    public static async Task PushAsync(WebSite site, string user, string repository, Visibility visibility = Visibility.Public)
    {
        var registry = site.Registry(user, WebSite.Password);
        await registry.PushAsync(repository, new ImageFactory().CreateImage(layers: 1), "v1");
        await WebSite.WaitForTagsAsync(registry, repository, 1);
        await registry.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{repository}",
            new JsonObject { ["visibility"] = visibility == Visibility.Public ? "public" : "private" }, HttpStatusCode.OK);
    }

    public static async Task<JsonNode> GetAsync(WebSite site, string user, string path)
    {
        using var response = await site.Registry(user, WebSite.Password).SendAsync(HttpMethod.Get, path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The members of an organisation and their roles, as its owner reads them over the API.</summary>
    public static async Task<Dictionary<string, string>> MembersAsync(WebSite site, string owner, string organization)
    {
        var org = await GetAsync(site, owner, $"api/v1/orgs/{organization}");
        return org["members"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => (string)m!["role"]!, StringComparer.Ordinal);
    }

    public enum Visibility
    {
        Public,
        Private,
    }
}
