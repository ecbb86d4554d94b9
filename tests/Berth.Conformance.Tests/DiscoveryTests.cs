using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Content discovery: tag listing and the catalog, with n/last pagination and Link headers.</summary>
public sealed partial class DiscoveryTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    // Deliberately not in natural order: lexical order puts "v1.10" before "v1.2".
    private static readonly string[] Tags = ["v1.2", "latest", "v1.10", "a", "v1.0", "b-1", "b_2", "zz", "0.9"];

    private RegistryApi Api => registry.Api;

    private async Task<string> RepoWithTagsAsync()
    {
        var repo = Repo.New("tags");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        foreach (var tag in Tags)
        {
            await Api.PushManifestAsync(repo, tag, image.Manifest);
        }

        return repo;
    }

    private static List<string> Sorted(IEnumerable<string> values) => values.Order(StringComparer.Ordinal).ToList();

    private async Task<(List<string> Tags, string? Next, HttpResponseMessage Response)> TagPageAsync(string pathAndQuery)
    {
        var response = await Api.GetAsync(pathAndQuery);
        await Check.StatusAsync(response, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return (Json.Strings(doc.RootElement, "tags"), NextLink(response), response);
    }

    /// <summary>The target of <c>Link: &lt;url&gt;; rel="next"</c>, or null.</summary>
    public static string? NextLink(HttpResponseMessage response)
    {
        var link = Check.Header(response, "Link");
        if (link is null)
        {
            return null;
        }

        var match = LinkNext().Match(link);
        Assert.True(match.Success, $"Link header '{link}' is not <url>; rel=\"next\"");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("<([^>]+)>\\s*;\\s*rel=\"?next\"?")]
    private static partial Regex LinkNext();

    [Fact]
    public async Task Tag_list_returns_name_and_all_tags_in_lexical_order()
    {
        var repo = await RepoWithTagsAsync();
        using var response = await Api.GetAsync($"v2/{repo}/tags/list");
        await Check.StatusAsync(response, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(repo, doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(Sorted(Tags), Json.Strings(doc.RootElement, "tags"));
        Assert.Null(Check.Header(response, "Link"));
    }

    [Fact]
    public async Task Tag_list_n_limits_the_page_and_Link_leads_to_the_rest()
    {
        var repo = await RepoWithTagsAsync();
        var expected = Sorted(Tags);
        var (first, next, r1) = await TagPageAsync($"v2/{repo}/tags/list?n=4");
        r1.Dispose();
        Assert.Equal(expected[..4], first);
        Assert.NotNull(next);

        var all = new List<string>(first);
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 10, "pagination did not end");
            var (page, following, r) = await TagPageAsync(next);
            r.Dispose();
            Assert.True(page.Count <= 4, $"page of {page.Count} tags exceeds n=4");
            Assert.NotEmpty(page);
            all.AddRange(page);
            next = following;
        }

        Assert.Equal(expected, all);
    }

    [Fact]
    public async Task Tag_list_last_starts_after_the_given_tag()
    {
        var repo = await RepoWithTagsAsync();
        var expected = Sorted(Tags);
        var (page, _, r) = await TagPageAsync($"v2/{repo}/tags/list?last={Uri.EscapeDataString(expected[2])}");
        r.Dispose();
        Assert.Equal(expected[3..], page);
    }

    [Fact]
    public async Task Tag_list_n_and_last_together()
    {
        var repo = await RepoWithTagsAsync();
        var expected = Sorted(Tags);
        var (page, _, r) = await TagPageAsync($"v2/{repo}/tags/list?n=2&last={Uri.EscapeDataString(expected[1])}");
        r.Dispose();
        Assert.Equal(expected[2..4], page);
    }

    [Fact]
    public async Task Tag_list_n_larger_than_the_list_returns_everything_without_Link()
    {
        var repo = await RepoWithTagsAsync();
        var (page, next, r) = await TagPageAsync($"v2/{repo}/tags/list?n=100");
        r.Dispose();
        Assert.Equal(Sorted(Tags), page);
        Assert.Null(next);
    }

    [Fact]
    public async Task Tag_list_n_zero_returns_an_empty_list_without_Link()
    {
        var repo = await RepoWithTagsAsync();
        var (page, next, r) = await TagPageAsync($"v2/{repo}/tags/list?n=0");
        r.Dispose();
        Assert.Empty(page);
        Assert.Null(next);
    }

    [Fact]
    public async Task Tag_list_of_an_unknown_repository_is_404_NAME_UNKNOWN()
    {
        using var response = await Api.GetAsync($"v2/{Repo.New("nope")}/tags/list");
        await Check.ErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task Tag_list_does_not_list_untagged_manifests()
    {
        var repo = Repo.New("tags");
        var tagged = Build.OciImage();
        var untagged = Build.OciImage();
        await Api.PushImageAsync(repo, tagged, "only");
        await Api.PushImageAsync(repo, untagged, tag: null);
        Assert.Equal(["only"], await Api.TagsAsync(repo));
    }

    private async Task<List<string>> PushReposAsync(string prefix, int count)
    {
        var repos = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var repo = $"{prefix}/r{i}";
            await Api.PushImageAsync(repo, Build.OciImage(layerSize: 16));
            repos.Add(repo);
        }

        return repos;
    }

    private async Task<(List<string> Repos, string? Next)> CatalogPageAsync(string pathAndQuery)
    {
        using var response = await Api.GetAsync(pathAndQuery);
        await Check.StatusAsync(response, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return (Json.Strings(doc.RootElement, "repositories"), NextLink(response));
    }

    /// <summary>Every repository, following Link pages of 100 (a registry may cap n).</summary>
    public static async Task<List<string>> FullCatalogAsync(RegistryApi api)
    {
        var all = new List<string>();
        string? next = "v2/_catalog?n=100";
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 1000, "catalog pagination did not end");
            using var response = await api.GetAsync(next);
            await Check.StatusAsync(response, HttpStatusCode.OK);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            all.AddRange(Json.Strings(doc.RootElement, "repositories"));
            next = NextLink(response);
        }

        return all;
    }

    [Fact]
    public async Task Catalog_lists_pushed_repositories_in_lexical_order()
    {
        var prefix = $"catalog-{Guid.NewGuid():N}";
        var repos = await PushReposAsync(prefix, 3);
        var all = await FullCatalogAsync(Api);
        Assert.Equal(Sorted(all), all);
        Assert.Equal(repos, all.Where(r => r.StartsWith(prefix + "/", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public async Task Catalog_n_and_Link_page_through_every_repository_once()
    {
        var prefix = $"catalog-{Guid.NewGuid():N}";
        var repos = await PushReposAsync(prefix, 5);
        var (first, next) = await CatalogPageAsync("v2/_catalog?n=2");
        Assert.Equal(2, first.Count);
        Assert.NotNull(next);

        var all = new List<string>(first);
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 2000, "catalog pagination did not end");
            var (page, following) = await CatalogPageAsync(next);
            Assert.True(page.Count <= 2, $"page of {page.Count} exceeds n=2");
            all.AddRange(page);
            next = following;
        }

        Assert.Equal(all.Distinct().Count(), all.Count);
        Assert.Equal(Sorted(all), all);
        Assert.Equal(repos, all.Where(r => r.StartsWith(prefix + "/", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public async Task Catalog_last_starts_after_the_given_repository()
    {
        var prefix = $"catalog-{Guid.NewGuid():N}";
        var repos = await PushReposAsync(prefix, 3);
        var (page, _) = await CatalogPageAsync($"v2/_catalog?n=2&last={Uri.EscapeDataString(repos[0])}");
        Assert.Equal(repos[1..3], page);
    }
}
