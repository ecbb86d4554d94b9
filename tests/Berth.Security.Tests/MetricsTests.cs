using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// <c>/metrics</c> (issue 14): what a push, a pull, tokens and refusals do to the Prometheus counters, request
/// durations by route (the registry's route kinds, the API's route templates), and that no label or value carries a
/// repository name, a user name or a token, though the endpoint is anonymous.
/// </summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string AdminPassword = "Adm1n-metrics-pass";
    private RegistryServer? _server;
    private HttpClient? _http;

    private HttpClient Http => _http!;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        _http = new HttpClient { BaseAddress = _server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    [Fact]
    public async Task Counters_follow_pushes_pulls_tokens_and_refusals_and_no_label_names_a_repository_or_user()
    {
        const string repo = "admin/metrics-secret-name";
        var before = await ScrapeAsync();
        var token = await TokenAsync($"repository:{repo}:pull,push", "admin", AdminPassword);
        var image = new ImageFactory().CreateImage(layers: 2);
        await V2.PushImageAsync(Http, repo, image, "v1", token);
        var layer = image.Layers[0];
        var (status, body) = await V2.GetAsync(Http, $"v2/{repo}/blobs/{layer.Digest}", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(layer.Bytes, body);

        // One upload left open; a wrong password at /token; a forged bearer at /v2.
        using (var open = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{repo}/blobs/uploads/", token))
        {
            Assert.Equal(HttpStatusCode.Accepted, open.StatusCode);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "token?service=berth-registry"))
        {
            wrong.Headers.Authorization = Basic("admin", "not-the-password");
            using var refused = await Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var forged = await V2.SendAsync(Http, HttpMethod.Get, $"v2/{repo}/tags/list", "not.a.token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        using (var search = await Http.GetAsync("api/v1/search?q=metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        }

        var after = await ScrapeAsync();
        var pushed = image.Config.Size + image.Layers.Sum(l => l.Size);
        Assert.Equal(pushed, Delta(before, after, "berth_blob_bytes_uploaded_total"));
        Assert.Equal(layer.Size, Delta(before, after, "berth_blob_bytes_sent_total"));
        Assert.Equal(1, Delta(before, after, "berth_tokens_issued_total"));
        Assert.Equal(1, Delta(before, after, "berth_auth_failures_total{outcome=\"token-refused\"}"));
        Assert.Equal(1, Delta(before, after, "berth_auth_failures_total{outcome=\"challenged\"}"));
        Assert.True(Value(after, "berth_uploads_in_progress") >= 1, "the open upload is not counted");
        Assert.Equal(1 + image.Layers.Count, Delta(before, after, "berth_registry_request_duration_seconds_count{route=\"uploadstart\",method=\"POST\",code=\"201\"}"));
        Assert.Equal(1, Delta(before, after, "berth_registry_request_duration_seconds_count{route=\"manifest\",method=\"PUT\",code=\"201\"}"));
        Assert.Equal(1, Delta(before, after, "berth_registry_request_duration_seconds_count{route=\"blob\",method=\"GET\",code=\"200\"}"));
        Assert.Contains(after.Keys, k => k.StartsWith("http_request_duration_seconds_count{", StringComparison.Ordinal) && k.Contains("endpoint=\"/api/v1/search\"", StringComparison.Ordinal));

        var text = await Http.GetStringAsync("metrics");
        foreach (var secret in new[] { "metrics-secret-name", token, AdminPassword, "not-the-password" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        using var response = await Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            result[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return result;
    }

    private static double Value(Dictionary<string, double> scrape, string key) => scrape.GetValueOrDefault(key);

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string key) =>
        Value(after, key) - Value(before, key);

    private async Task<string> TokenAsync(string scope, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"token?service=berth-registry&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = Basic(user, password);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
