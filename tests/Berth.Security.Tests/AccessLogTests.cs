using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: one access-log line per request (method, route, repository, status, bytes in and out, duration, user,
/// client, request id), and no password, token or Authorization header anywhere in the server's output after logins
/// at <c>/token</c> (GET with Basic, POST password and refresh grants), a push, a pull and a REST API call.
/// </summary>
public sealed partial class AccessLogTests : IAsyncLifetime
{
    private const string AdminPassword = "Adm1n-access-log-pass";
    private const string Repo = "admin/access-log";
    private const string ReadyPath = "readyz";

    private RegistryServer? _server;

    private RegistryServer Server => _server!;

    public async Task InitializeAsync() =>
        _server = await RegistryServer.StartAsync(readyPath: ReadyPath, extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);

    [Fact]
    public async Task Each_request_logs_one_line_with_its_fields_and_no_secret_is_ever_logged()
    {
        // The log is written asynchronously: the lines of the start-up probes are all in once a later request's is.
        using (var marker = new HttpClient { BaseAddress = Server.BaseUri })
        {
            using var response = await marker.GetAsync("v2/access-log/marker/manifests/latest");
        }

        var before = 1 + (await LinesAsync(l => l.Groups["repo"].Value == "access-log/marker")).FindIndex(l => l.Groups["repo"].Value == "access-log/marker");
        var counter = new CountingHandler(new HttpClientHandler());
        using var http = new HttpClient(counter) { BaseAddress = Server.BaseUri };

        // GET /token with Basic credentials, POST /token with the password grant (offline: a refresh token), then
        // the refresh grant.
        string token;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"token?service=berth-registry&scope=repository:{Repo}:pull,push&account=admin"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            token = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
        }

        string refresh;
        using (var response = await http.PostAsync("token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = "admin",
            ["password"] = AdminPassword,
            ["client_id"] = "access-log-test",
            ["access_type"] = "offline",
            ["service"] = "berth-registry",
            ["scope"] = $"repository:{Repo}:pull",
        })))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            refresh = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["refresh_token"]!;
        }

        string refreshed;
        using (var response = await http.PostAsync("token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refresh,
            ["client_id"] = "access-log-test",
            ["service"] = "berth-registry",
            ["scope"] = $"repository:{Repo}:pull",
        })))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            refreshed = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!;
        }

        var image = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(http, Repo, image, "v1", token);
        var layer = image.Layers[0];
        var (status, body) = await V2.GetAsync(http, $"v2/{Repo}/blobs/{layer.Digest}", refreshed);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(layer.Bytes, body);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
            using var response = await http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"GET api/v1/user answered {(int)response.StatusCode}");
        }

        // Exactly one line per request: wait for as many as were sent, then none more may come.
        var sent = counter.Count;
        await LinesAsync(_ => false, before + sent);
        await Task.Delay(500);
        var lines = AccessLines().Skip(before).ToList();
        Assert.True(sent == lines.Count, $"{sent} requests sent, {lines.Count} access lines:\n{string.Join('\n', lines.Select(l => l.Value))}");
        Assert.Equal(lines.Count, lines.Select(l => l.Groups["id"].Value).Distinct().Count());

        var tokenGet = Assert.Single(lines, l => l.Groups["route"].Value == "/token" && l.Groups["method"].Value == "GET");
        Assert.Equal("200", tokenGet.Groups["status"].Value);
        Assert.Equal("admin", tokenGet.Groups["user"].Value);
        Assert.Equal("127.0.0.1", tokenGet.Groups["client"].Value);
        Assert.Equal(2, lines.Count(l => l.Groups["route"].Value == "/token" && l.Groups["method"].Value == "POST"));

        var manifestPut = Assert.Single(lines, l => l.Groups["route"].Value == "manifest" && l.Groups["method"].Value == "PUT");
        Assert.Equal(Repo, manifestPut.Groups["repo"].Value);
        Assert.Equal("201", manifestPut.Groups["status"].Value);
        Assert.Equal(image.Manifest.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), manifestPut.Groups["in"].Value);
        Assert.Equal("admin", manifestPut.Groups["user"].Value);

        var blobGet = Assert.Single(lines, l => l.Groups["route"].Value == "blob" && l.Groups["method"].Value == "GET");
        Assert.Equal(layer.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), blobGet.Groups["out"].Value);
        Assert.Equal("0", blobGet.Groups["in"].Value);

        var api = Assert.Single(lines, l => l.Groups["route"].Value.StartsWith("/api/v1/user", StringComparison.Ordinal));
        Assert.Equal("admin", api.Groups["user"].Value);
        Assert.Equal("-", api.Groups["repo"].Value);

        // Anywhere in the output, not only the access log: the password, every token, any Authorization header.
        var log = Server.ReadLog();
        foreach (var secret in new[] { AdminPassword, token, refresh, refreshed, "Authorization", "Bearer ", "Basic " })
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("?", string.Join('\n', lines.Select(l => l.Value)), StringComparison.Ordinal);
    }

    /// <summary>
    /// The access lines of the test's own requests. The start-up probes (on <see cref="ReadyPath"/>, which the test never
    /// asks for) are left out: a probe's line is logged once its response is sent, and so may come after the marker's.
    /// </summary>
    private List<Match> AccessLines() =>
        [.. Server.ReadLog().Split('\n').Select(l => AccessLine().Match(l)).Where(m => m.Success && m.Groups["route"].Value != "/" + ReadyPath)];

    /// <summary>The access lines once one matches <paramref name="wanted"/> or there are <paramref name="count"/> of them.</summary>
    private async Task<List<Match>> LinesAsync(Func<Match, bool> wanted, int count = int.MaxValue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var lines = AccessLines();
            if (lines.Count >= count || lines.Any(wanted))
            {
                return lines;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the access-log lines awaited did not come:\n{Server.ReadLog()}");
    }

    [GeneratedRegex(@"info: Berth\.Access\[1\] .* (?<method>[A-Z]+) (?<route>\S+) (?<repo>\S+) (?<status>\d{3}) in=(?<in>\d+) out=(?<out>\d+) (?<ms>\d+\.\d)ms user=(?<user>\S+) client=(?<client>\S+) id=(?<id>\S+)$")]
    private static partial Regex AccessLine();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Counts the requests the test sends, to compare with the lines the server logs.</summary>
    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
