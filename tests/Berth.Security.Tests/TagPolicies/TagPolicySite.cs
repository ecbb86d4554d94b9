using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Gc;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.TagPolicies;

/// <summary>
/// One Berth for the tag immutability and retention tests: <c>--auth none</c> on <c>/v2</c> (pushes need no token), an
/// admin for the API, collection with no grace and untagged manifests deleted at once, passes only when a test asks.
/// </summary>
public sealed class TagPolicySite : IAsyncLifetime
{
    public GcRegistry Registry { get; private set; } = null!;

    public Site Site => Registry.Site;

    public async Task InitializeAsync() =>
        Registry = new GcRegistry(await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-untagged-after", "0s", "--gc-interval", "off"]));

    public async Task DisposeAsync() => await Registry.Site.DisposeAsync();

    public static string Unique(string prefix) => $"{prefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>Creates a rule or policy as <paramref name="actor"/> (the admin by default); its id.</summary>
    public async Task<long> CreateAsync(string collection, JsonObject body, Actor? actor = null)
    {
        using var response = await (actor ?? Site.Admin).SendAsync(HttpMethod.Post, collection, body);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return (long)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
    }

    /// <summary>A manifest PUT by digest with <c>?tag=</c>.</summary>
    public async Task<HttpResponseMessage> PutByDigestAsync(string repository, byte[] manifest, string tag)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(GcRegistry.ManifestType);
        return await Site.Http.PutAsync($"v2/{repository}/manifests/{GcRegistry.DigestOf(manifest)}?tag={tag}", content);
    }

    /// <summary>The digest a tag points at; null when it does not exist.</summary>
    public async Task<string?> TaggedAsync(string repository, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/manifests/{tag}");
        request.Headers.Accept.ParseAdd(GcRegistry.ManifestType);
        using var response = await Site.Http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK ? response.Headers.GetValues("Docker-Content-Digest").Single() : null;
    }

    public async Task<List<string>> TagsAsync(string repository)
    {
        var list = JsonNode.Parse(await Site.Http.GetStringAsync($"v2/{repository}/tags/list"))!;
        return [.. (list["tags"]?.AsArray() ?? []).Select(t => (string)t!).Order(StringComparer.Ordinal)];
    }

    /// <summary>Asserts the OCI <c>DENIED</c> refusal carrying <paramref name="message"/>.</summary>
    public static async Task ExpectDeniedAsync(HttpResponseMessage response, string message)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"expected 403 DENIED, got {(int)response.StatusCode} {body}");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("DENIED", (string?)error["code"]);
        Assert.Equal(message, (string?)error["message"]);
    }
}
