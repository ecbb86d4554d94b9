using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Index.Tests.Support;

namespace Berth.Index.Tests;

public sealed class SearchApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task Rest_search_ranks_by_name_match_then_stars_then_name_and_hides_private_repositories()
    {
        var (term, ns, expected) = await CreateCorpusAsync();

        var anonymous = await site.Anonymous.GetJsonAsync($"api/v1/search?q={term}");
        Assert.Equal(term, (string?)anonymous["query"]);
        Assert.Equal(1, (int)anonymous["page"]!);
        Assert.Equal(25, (int)anonymous["pageSize"]!);
        Assert.Equal(expected.Length, (int)anonymous["total"]!);
        Assert.Equal(expected, anonymous["results"]!.AsArray().Select(r => (string?)r!["name"]));
        Assert.Equal(2, (long)anonymous["results"]![1]!["starCount"]!);

        // Case does not matter; the owner (here the admin) also finds the private one.
        var admin = await site.Admin.GetJsonAsync($"api/v1/search?q={term.ToUpperInvariant()}");
        Assert.Equal(expected.Length + 1, (int)admin["total"]!);
        Assert.Contains(admin["results"]!.AsArray(), r => (string?)r!["name"] == $"{ns}/{term}-private");

        var page = await site.Anonymous.GetJsonAsync($"api/v1/search?q={term}&n=2&page=2");
        Assert.Equal(expected[2..4], page["results"]!.AsArray().Select(r => (string?)r!["name"]));
        Assert.Equal(expected.Length, (int)page["total"]!);

        (await site.Anonymous.GetAsync($"api/v1/search?q={term}&n=0")).ExpectProblem(HttpStatusCode.BadRequest);
        (await site.Anonymous.GetAsync($"api/v1/search?q={new string('a', 300)}")).ExpectProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Docker_v1_search_answers_in_the_shape_docker_reads()
    {
        var (term, ns, expected) = await CreateCorpusAsync();

        using var response = await site.Http.GetAsync($"v1/search?q={term}&n=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(
            new[] { "num_pages", "num_results", "page", "page_size", "query", "results" },
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(term, root.GetProperty("query").GetString());
        Assert.Equal(expected.Length, root.GetProperty("num_results").GetInt32());
        Assert.Equal((expected.Length + 1) / 2, root.GetProperty("num_pages").GetInt32());
        Assert.Equal(1, root.GetProperty("page").GetInt32());
        Assert.Equal(2, root.GetProperty("page_size").GetInt32());

        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(expected[..2], results.Select(r => r.GetProperty("name").GetString()));
        foreach (var result in results)
        {
            Assert.Equal(
                new[] { "description", "is_automated", "is_official", "name", "star_count" },
                result.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(JsonValueKind.String, result.GetProperty("description").ValueKind);
            Assert.Equal(JsonValueKind.Number, result.GetProperty("star_count").ValueKind);
            Assert.False(result.GetProperty("is_official").GetBoolean());
            Assert.False(result.GetProperty("is_automated").GetBoolean());
        }

        Assert.Equal(2, results[1].GetProperty("star_count").GetInt32());
        Assert.Equal("", results[0].GetProperty("description").GetString());

        var withCredentials = (await site.Admin.GetAsync($"v1/search?q={term}-private")).Expect(HttpStatusCode.OK).Json!;
        Assert.Equal($"{ns}/{term}-private", (string?)withCredentials["results"]![0]!["name"]);
        Assert.Equal(0, (int)(await site.Anonymous.GetJsonAsync($"v1/search?q={term}-private"))["num_results"]!);

        (await site.Anonymous.GetAsync($"v1/search?q={term}&n=101")).ExpectProblem(HttpStatusCode.BadRequest);
        (await site.Admin.WithSecret("wrong-password").GetAsync($"v1/search?q={term}")).ExpectProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Docker_ping_answers_200()
    {
        using var response = await site.Http.GetAsync("v1/_ping");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("X-Docker-Registry-Standalone").Single());
    }

    /// <summary>
    /// Public repositories around a fresh term, and the order a search for it must return them in:
    /// exact name; last segment (2 stars) before name prefixes (none, by name); name substring; description.
    /// One private repository that only its owner finds.
    /// </summary>
    private async Task<(string Term, string Namespace, string[] Expected)> CreateCorpusAsync()
    {
        var term = $"zq{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var ns = IndexSite.UniqueName("acme");
        var admin = site.Admin;
        await admin.CreateRepositoryAsync($"{term}app/two", "public");
        await admin.CreateRepositoryAsync($"{ns}/other", "public", $"Has {term.ToUpperInvariant()} inside");
        await admin.CreateRepositoryAsync($"{ns}/my-{term}-thing", "public", "a thing");
        await admin.CreateRepositoryAsync($"{ns}/{term}", "public");
        await admin.CreateRepositoryAsync($"{term}app/one", "public");
        await admin.CreateRepositoryAsync(term, "public");
        await admin.CreateRepositoryAsync($"{ns}/{term}-private", "private");
        await admin.CreateRepositoryAsync($"{ns}/unrelated", "public");

        var fan = await site.CreateUserAsync();
        (await admin.PutAsync($"api/v1/repositories/{ns}/{term}/-/star")).Expect(HttpStatusCode.NoContent);
        (await fan.PutAsync($"api/v1/repositories/{ns}/{term}/-/star")).Expect(HttpStatusCode.NoContent);

        return (term, ns, [term, $"{ns}/{term}", $"{term}app/one", $"{term}app/two", $"{ns}/my-{term}-thing", $"{ns}/other"]);
    }
}

public sealed class AuditAndOpenApiTests(IndexSite site) : IClassFixture<IndexSite>
{
    [Fact]
    public async Task The_audit_log_is_for_admins_newest_first_with_who_what_and_where()
    {
        var user = await site.CreateUserAsync();
        (await site.Anonymous.GetAsync("api/v1/audit")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await user.GetAsync("api/v1/audit")).ExpectProblem(HttpStatusCode.Forbidden);

        var (_, readOnlyAdmin) = await site.Admin.CreateTokenAsync("read");
        (await site.Admin.WithSecret(readOnlyAdmin).GetAsync("api/v1/audit")).ExpectProblem(HttpStatusCode.Forbidden);

        await user.CreateRepositoryAsync($"{user.Name}/audited");
        var entries = (await site.Admin.GetJsonAsync("api/v1/audit")).AsArray();
        var newest = entries[0]!.AsObject();
        Assert.Equal(
            new[] { "action", "actor", "address", "at", "detail", "target" },
            newest.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("repository.created", (string?)newest["action"]);
        Assert.Equal(user.Name, (string?)newest["actor"]);
        Assert.Equal($"{user.Name}/audited", (string?)newest["target"]);
        Assert.Equal("127.0.0.1", (string?)newest["address"]);
        var times = entries.Select(e => DateTime.Parse((string)e!["at"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Contains(entries, e => (string?)e!["action"] == "account.created" && (string?)e["target"] == user.Name);

        Assert.Single((await site.Admin.GetJsonAsync("api/v1/audit?n=1")).AsArray());
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint()
    {
        using var response = await site.Http.GetAsync("api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();

        string[] expected =
        [
            "POST /api/v1/users", "GET /api/v1/user", "GET /api/v1/users/{name}", "PUT /api/v1/user/password",
            "POST /api/v1/user/tokens", "GET /api/v1/user/tokens", "DELETE /api/v1/user/tokens/{id}", "GET /api/v1/user/starred",
            "POST /api/v1/orgs", "GET /api/v1/orgs/{org}", "PUT /api/v1/orgs/{org}/members/{user}", "DELETE /api/v1/orgs/{org}/members/{user}",
            "POST /api/v1/orgs/{org}/teams", "PUT /api/v1/orgs/{org}/teams/{team}/members/{user}", "DELETE /api/v1/orgs/{org}/teams/{team}/members/{user}",
            "GET /api/v1/repositories", "POST /api/v1/repositories", "GET /api/v1/repositories/{name}", "PATCH /api/v1/repositories/{name}",
            "DELETE /api/v1/repositories/{name}", "GET /api/v1/repositories/{name}/-/tags", "GET /api/v1/repositories/{name}/-/collaborators",
            "PUT /api/v1/repositories/{name}/-/collaborators/users/{user}", "DELETE /api/v1/repositories/{name}/-/collaborators/users/{user}",
            "PUT /api/v1/repositories/{name}/-/collaborators/teams/{team}", "DELETE /api/v1/repositories/{name}/-/collaborators/teams/{team}",
            "PUT /api/v1/repositories/{name}/-/star", "DELETE /api/v1/repositories/{name}/-/star",
            "GET /api/v1/repositories/{name}/-/comments", "POST /api/v1/repositories/{name}/-/comments",
            "PATCH /api/v1/repositories/{name}/-/comments/{id}", "DELETE /api/v1/repositories/{name}/-/comments/{id}",
            "GET /api/v1/search", "GET /v1/search", "GET /v1/_ping", "GET /api/v1/audit",
        ];
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}")).ToHashSet(StringComparer.Ordinal);
        Assert.All(expected, e => Assert.Contains(e, documented));
        Assert.DoesNotContain(paths, p => p.Key.StartsWith("/v2", StringComparison.Ordinal) || p.Key.StartsWith("/token", StringComparison.Ordinal));

        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var schema in new[] { "Account", "Repository", "RepositorySummary", "Tag", "Comment" })
        {
            Assert.True(schemas.ContainsKey(schema), $"schema {schema} missing");
        }

        var tags = paths["/api/v1/repositories/{name}/-/tags"]!["get"]!["parameters"]!.AsArray().Select(p => (string?)p!["name"]);
        Assert.Equal(new[] { "name", "page", "n" }, tags);
    }
}
