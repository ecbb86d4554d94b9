using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;

namespace Berth.Web.Tests;

/// <summary>
/// The tags table's platforms come from the index's tag summaries, recorded from the registry's push events: once the
/// index has them, the page shows them even when the registry can no longer read the image's config (here unlinked
/// from the repository), which the old per-tag manifest and config lookup could not.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class TagPlatformsTests(WebSite site)
{
    [Fact]
    public async Task The_repository_page_shows_the_platforms_recorded_at_push_for_an_index_and_an_image()
    {
        var user = await site.NewUserAsync("plat");
        var repository = $"{user}/multi";
        var owner = site.Registry(user, WebSite.Password);
        var images = new ImageFactory();
        var index = images.CreateIndex([Platform.LinuxAmd64, Platform.LinuxArm64]);
        var image = images.CreateImage(layers: 1, platform: Platform.LinuxS390x);
        await owner.PushAsync(repository, index, "multi");
        await owner.PushAsync(repository, image, "single");
        await WebSite.WaitForTagsAsync(owner, repository, 2);
        await owner.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{repository}", new JsonObject { ["visibility"] = "public" }, HttpStatusCode.OK);
        await UnlinkAsync(user, repository, [image.Config.Digest]);

        var rows = await TagRowsAsync(repository);
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], rows["multi"]);
        Assert.Equal(["linux/s390x"], rows["single"]);
    }

    [Fact]
    public async Task Eight_tags_pushed_at_once_to_one_repository_all_show_their_platforms()
    {
        var user = await site.NewUserAsync("eight");
        var repository = $"{user}/many";
        var owner = site.Registry(user, WebSite.Password);
        var images = new ImageFactory();
        Platform[] platforms =
        [
            Platform.LinuxAmd64, Platform.LinuxArm64, Platform.LinuxS390x, new("linux", "arm", "v7"),
            new("linux", "arm", "v6"), new("linux", "386"), new("linux", "ppc64le"), new("linux", "riscv64"),
        ];
        var fixtures = platforms.Select(p => images.CreateImage(layers: 1, platform: p)).ToList();
        await owner.PushBlobAsync(repository, fixtures[0].Config);
        await Task.WhenAll(fixtures.SelectMany(f => (Blob[])[f.Config, .. f.Layers]).Skip(1).Select(b => owner.PushBlobAsync(repository, b)));

        // The eight manifests at once: eight push events for one repository applied side by side.
        await Task.WhenAll(fixtures.Select((f, i) => owner.PutManifestAsync(repository, $"t{i}", f.Manifest)));
        await WebSite.WaitForTagsAsync(owner, repository, platforms.Length);
        await owner.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{repository}", new JsonObject { ["visibility"] = "public" }, HttpStatusCode.OK);
        await UnlinkAsync(user, repository, fixtures.Select(f => f.Config.Digest));

        var rows = await TagRowsAsync(repository);
        for (var i = 0; i < platforms.Length; i++)
        {
            Assert.Equal([platforms[i].ToString()], rows[$"t{i}"]);
        }
    }

    /// <summary>The tags table of the repository page, as an anonymous visitor sees it: tag → its platforms.</summary>
    private async Task<Dictionary<string, string[]>> TagRowsAsync(string repository)
    {
        await using var context = await site.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/r/{repository}");
        Assert.Equal(200, response!.Status);
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var row in await page.Locator("table.tags tbody tr").AllAsync())
        {
            var tag = await row.Locator("th").InnerTextAsync();
            rows[tag.Trim()] = [.. (await row.Locator(".platform").AllInnerTextsAsync()).Select(p => p.Trim())];
        }

        return rows;
    }

    /// <summary>Unlinks blobs from the repository, so the registry no longer serves them there (the page cannot read them).</summary>
    private async Task UnlinkAsync(string user, string repository, IEnumerable<string> digests)
    {
        using var registry = new HttpClient(new TokenAuthHandler(user, WebSite.Password)) { BaseAddress = site.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        foreach (var digest in digests)
        {
            using var response = await registry.DeleteAsync(new Uri($"v2/{repository}/blobs/{digest}", UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"unlinking {digest}: {(int)response.StatusCode}");
        }
    }
}
