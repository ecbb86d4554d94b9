using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>
/// A repository with 10,000 tags: its pages (first, middle, last) and search answer and page correctly. Also records
/// median and p95 response times of those pages over loopback from 40 requests each (figures only, nothing is
/// asserted about speed; the suite is no benchmark, so the sample is kept small).
/// </summary>
[Collection(WebCollection.Name)]
public sealed class RepositoryPageTimingTests(WebSite site, ITestOutputHelper output)
{
    private const int TagCount = 10_000;

    [Fact]
    public async Task A_repository_with_ten_thousand_tags_pages_through_them()
    {
        var owner = await site.NewUserAsync("tagger");
        var registry = site.Registry(owner, WebSite.Password);
        var repository = $"{owner}/many-tags";
        var image = new ImageFactory(7).CreateImage(layers: 1);
        await registry.PushAsync(repository, image, "seed");

        // The same manifest under 10,000 more tags, written straight into the server's database as the push left the
        // first (the registry's row and the index's summary): pushed, they took 40 s, nearly all of it the index applying
        // 10,000 events one by one, which is not what this test is about (tagging by ?tag= is the conformance suite's).
        await WebSite.WaitForTagsAsync(registry, repository, 1);
        var seeding = Stopwatch.StartNew();
        await TagCopies.CopyAsync(site.Server.DataDir, repository, "seed", [.. Enumerable.Range(0, TagCount).Select(i => $"t{i:D5}")]);

        await registry.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{repository}", new JsonObject { ["visibility"] = "public" }, HttpStatusCode.OK);
        using var http = site.NewHttpClient();
        var pages = (TagCount + 1 + 24) / 25;
        await WaitForAsync(http, $"/r/{repository}", $"{TagCount + 1:N0} tags");
        output.WriteLine($"seeded {TagCount} tags in {seeding.Elapsed.TotalSeconds:F1} s");

        var last = await GetAsync(http, $"/r/{repository}?page={pages}");
        Assert.Contains($"Page {pages} of {pages}", last, StringComparison.Ordinal);
        Assert.Contains("linux/amd64", last, StringComparison.Ordinal);
        using (var beyond = await http.GetAsync(new Uri($"/r/{repository}?page={pages + 1}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, beyond.StatusCode);
        }

        var figures = new List<string>
        {
            Measure(http, "repository page 1", _ => $"/r/{repository}"),
            Measure(http, "repository page n (random)", i => $"/r/{repository}?page={1 + (i * 37 % pages)}"),
            Measure(http, "search", _ => $"/search?q=many"),
            Measure(http, "explore", _ => "/"),
        };
        var report = string.Join("\n", figures);
        output.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(WebSite.ResultsDirectory, "timing.txt"), $"{TagCount} tags, loopback, sequential GETs\n{report}\n");
    }

    private static string Measure(HttpClient http, string label, Func<int, string> url)
    {
        const int warmup = 5;
        const int samples = 40;
        var times = new List<double>(samples);
        for (var i = 0; i < warmup + samples; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = http.GetAsync(new Uri(url(i), UriKind.Relative), HttpCompletionOption.ResponseContentRead).GetAwaiter().GetResult();
            clock.Stop();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (i >= warmup)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        var median = times[times.Count / 2];
        var p95 = times[(int)Math.Ceiling(times.Count * 0.95) - 1];
        return string.Create(CultureInfo.InvariantCulture, $"{label}: median {median:F1} ms, p95 {p95:F1} ms ({samples} requests)");
    }

    private static async Task<string> GetAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task WaitForAsync(HttpClient http, string url, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not show '{text}' within 90 s");
            await Task.Delay(250);
        }
    }
}
