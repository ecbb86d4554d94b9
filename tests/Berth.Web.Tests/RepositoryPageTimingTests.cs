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
    private const int TagsPerPush = 500;

    [Fact]
    public async Task A_repository_with_ten_thousand_tags_pages_through_them()
    {
        var owner = await site.NewUserAsync("tagger");
        var registry = site.Registry(owner, WebSite.Password);
        var repository = $"{owner}/many-tags";
        var image = new ImageFactory(7).CreateImage(layers: 1);
        await registry.PushAsync(repository, image, "seed");

        // The same manifest under 10,000 tags, 500 per push (?tag=…, one transaction each): the registry's real path.
        var seeding = Stopwatch.StartNew();
        for (var start = 0; start < TagCount; start += TagsPerPush)
        {
            var tags = Enumerable.Range(start, TagsPerPush).Select(i => $"t{i:D5}").ToList();
            await registry.PutManifestAsync(repository, image.Manifest.Digest, image.Manifest, tags);
        }

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
