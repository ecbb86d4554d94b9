using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Gc;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests.Quotas;

/// <summary>One Berth for the quota tests (<c>--auth none</c> on <c>/v2</c>, collection with no grace, run when asked).</summary>
public sealed class QuotaFixture : IAsyncLifetime
{
    public GcRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Registry = new GcRegistry(await Site.StartAsync(["--auth", "none", "--gc-grace", "0s", "--gc-interval", "off"]));

    public async Task DisposeAsync() => await Registry.Site.DisposeAsync();
}

/// <summary>The quota API as an administrator uses it, a recount from the database, and an upload in chunks.</summary>
public static class QuotaSite
{
    public static async Task SetAsync(this GcRegistry registry, string @namespace, long limitBytes)
    {
        using var response = await registry.Site.Admin.SendAsync(HttpMethod.Put, $"api/v1/namespaces/{@namespace}/quota", new JsonObject { ["limitBytes"] = limitBytes });
        await Expect.StatusAsync(response, HttpStatusCode.OK);
    }

    /// <summary>What the API says the namespace uses, and its quota (null when none).</summary>
    public static async Task<(long Used, long? Limit)> UsageAsync(this GcRegistry registry, string @namespace)
    {
        var quota = await registry.Site.Admin.GetJsonAsync($"api/v1/namespaces/{@namespace}/quota");
        return ((long)quota["usedBytes"]!, (long?)quota["limitBytes"]);
    }

    /// <summary>The usage counted afresh from the blob links: each distinct blob linked by a repository of the namespace once.</summary>
    public static async Task<long> RecountAsync(this GcRegistry registry, string @namespace)
    {
        var sum = await ServerDatabase.ScalarAsync(
            registry.Site.Server,
            """
            SELECT COALESCE(SUM(d."Size"), 0) FROM (
                SELECT DISTINCT l."Digest", l."Size" FROM "repository_blobs" AS l
                JOIN "repositories" AS r ON r."Id" = l."RepositoryId" WHERE r."Namespace" = @p0) AS d
            """,
            @namespace);
        return Convert.ToInt64(sum, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The namespace's usage as the API shows it equals the recount; returns it.</summary>
    public static async Task<long> AssertExactAsync(this GcRegistry registry, string @namespace)
    {
        var (used, _) = await registry.UsageAsync(@namespace);
        Assert.Equal(await registry.RecountAsync(@namespace), used);
        return used;
    }

    /// <summary>POST, PATCH with all the bytes, then the final PUT with the digest (as docker and skopeo push); the final PUT's response.</summary>
    public static async Task<HttpResponseMessage> UploadInChunksAsync(this GcRegistry registry, string repository, byte[] blob)
    {
        var http = registry.Site.Http;
        using var start = await http.PostAsync($"v2/{repository}/blobs/uploads/", null);
        await Expect.StatusAsync(start, HttpStatusCode.Accepted);
        using var chunk = new ByteArrayContent(blob);
        chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Patch, start.Headers.Location) { Content = chunk };
        request.Content.Headers.TryAddWithoutValidation("Content-Range", $"0-{blob.Length - 1}");
        using var patch = await http.SendAsync(request);
        await Expect.StatusAsync(patch, HttpStatusCode.Accepted);
        var location = patch.Headers.Location!.ToString();
        var separator = location.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return await http.PutAsync($"{location}{separator}digest={GcRegistry.DigestOf(blob)}", null);
    }

    /// <summary>The first OCI error of a refused request.</summary>
    public static async Task<JsonNode> OciErrorAsync(HttpResponseMessage response) =>
        (await Json.ReadAsync(response))["errors"]![0]!;
}
