using System.Net;
using System.Text.Json.Nodes;
using Berth.Postgres.Tests.Support;
using Berth.Testing;

namespace Berth.Postgres.Tests;

/// <summary>
/// Catalog and tag list pages (<c>n</c>, <c>last</c>) on PostgreSQL are those of SQLite: names in byte order, whatever
/// the database's own collation (the test cluster's default is ICU "en", which sorts case and punctuation otherwise).
/// </summary>
public sealed class ByteOrderPagingTests
{
    private static readonly string[] Repositories =
        ["order/ab", "order/a_b", "order/a-b", "order/a.b", "order/a0", "order/a/b", "order/a__b", "order/a--b", "order/b", "order/a9"];

    private static readonly string[] Tags = ["b", "A", "_x", "a.b", "Z", "a_b", "1", "a-b", "B", "a", "9z", "a--b"];

    [Fact]
    public async Task Catalog_and_tag_pages_are_in_byte_order_as_on_SQLite()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await using var sqlite = await RegistryServer.StartAsync(extraArgs: ["--database", "sqlite"]);
        await using var postgres = await RegistryServer.StartAsync(extraArgs: database.ServerArgs);
        using var sqliteHttp = Images.Client(sqlite.BaseUri);
        using var postgresHttp = Images.Client(postgres.BaseUri);

        foreach (var http in new[] { sqliteHttp, postgresHttp })
        {
            foreach (var repository in Repositories)
            {
                await Images.PushAsync(http, repository, "v1");
            }

            foreach (var tag in Tags)
            {
                await Images.PushAsync(http, "order/tags", tag);
            }
        }

        var expectedRepositories = Repositories.Append("order/tags").Order(StringComparer.Ordinal).ToList();
        var expectedTags = Tags.Order(StringComparer.Ordinal).ToList();
        foreach (var pageSize in new[] { 1, 3, 100 })
        {
            var onSqlite = await PagesAsync(sqliteHttp, "v2/_catalog", "repositories", pageSize);
            var onPostgres = await PagesAsync(postgresHttp, "v2/_catalog", "repositories", pageSize);
            Assert.Equal(expectedRepositories, onSqlite.SelectMany(p => p).ToList());
            Assert.Equal(onSqlite, onPostgres);

            var tagsOnSqlite = await PagesAsync(sqliteHttp, "v2/order/tags/tags/list", "tags", pageSize);
            var tagsOnPostgres = await PagesAsync(postgresHttp, "v2/order/tags/tags/list", "tags", pageSize);
            Assert.Equal(expectedTags, tagsOnSqlite.SelectMany(p => p).ToList());
            Assert.Equal(tagsOnSqlite, tagsOnPostgres);
        }

        // Ordering is the server's: last= a name that is in no list still starts the page after it in byte order.
        var after = await PagesAsync(postgresHttp, "v2/order/tags/tags/list", "tags", 100, last: "Zz");
        Assert.Equal(expectedTags.Where(t => string.CompareOrdinal(t, "Zz") > 0), after.SelectMany(p => p));
    }

    /// <summary>Every page of a listing, following <c>n</c> and <c>last</c> (bounded: at most 50 pages).</summary>
    private static async Task<List<List<string>>> PagesAsync(HttpClient http, string path, string field, int pageSize, string? last = null)
    {
        var pages = new List<List<string>>();
        for (var i = 0; i < 50; i++)
        {
            var query = last is null ? $"?n={pageSize}" : $"?n={pageSize}&last={Uri.EscapeDataString(last)}";
            using var response = await http.GetAsync(new Uri(path + query, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = (JsonNode.Parse(await response.Content.ReadAsStringAsync())![field]?.AsArray() ?? [])
                .Select(n => n!.GetValue<string>()).ToList();
            if (page.Count == 0)
            {
                return pages;
            }

            pages.Add(page);
            last = page[^1];
        }

        throw new InvalidOperationException($"{path} did not end within 50 pages");
    }
}
