using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>
/// Issue 12: <c>podman push</c> to Berth reaches a real receiver (Kestrel on 127.0.0.1, allowed by
/// <c>--webhook-allow-hosts</c>) as a signed <c>push</c> delivery the receiver verifies with the algorithm of
/// docs/WEBHOOKS.md, carrying the pushed manifest's digest, the pull command and Docker Hub's fields.
/// </summary>
public sealed class PodmanWebhookTests : IDisposable
{
    private const string AdminPassword = "Adm1nPassw0rd!";

    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task A_podman_push_is_delivered_signed_to_the_receiver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RegistryServer.StartAsync(extraArgs:
        [
            "--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4",
            "--webhook-allow-hosts", "127.0.0.1",
        ]);
        using var api = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
        var repo = Names.Repo("webhook");
        using (var created = await api.PostAsJsonAsync("api/v1/repositories", new JsonObject { ["name"] = repo, ["visibility"] = "public" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        string secret;
        using (var hook = await api.PostAsJsonAsync($"api/v1/repositories/{repo}/-/webhooks", new JsonObject { ["url"] = receiver.Url("/hook"), ["events"] = new JsonArray("push") }))
        {
            Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
            secret = (string)JsonNode.Parse(await hook.Content.ReadAsStringAsync())!["secret"]!;
        }

        var image = _factory.CreateImage(layers: 1);
        var source = _tools.NewLayout((image, "v1"));
        (await _tools.PodmanAsync("pull", "-q", source.Reference("v1"))).EnsureSuccess();
        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", "admin", "-p", AdminPassword, server.HostPort)).EnsureSuccess();
        var digestFile = Path.Combine(_tools.Root, "pushed.digest");
        (await _tools.PodmanAsync("push", "--tls-verify=false", "--digestfile", digestFile, image.Config.Hex, $"docker://{server.HostPort}/{repo}:v1")).EnsureSuccess();
        var pushed = File.ReadAllText(digestFile).Trim();

        var got = Assert.Single(await receiver.WaitForAsync(r => r.Count >= 1, TimeSpan.FromSeconds(20), "the push"));
        Assert.True(WebhookReceiver.Verify(secret, got.Id, got.Timestamp, got.Signature, got.Body));
        // One hex digit of the digest changed (to another digit: a digest ending in 0 once left the body as it was).
        var tampered = got.Body.Replace(pushed, pushed[..^1] + (pushed[^1] == '0' ? "1" : "0"), StringComparison.Ordinal);
        Assert.NotEqual(got.Body, tampered);
        Assert.False(WebhookReceiver.Verify(secret, got.Id, got.Timestamp, got.Signature, tampered));
        Assert.False(WebhookReceiver.Verify(secret, got.Id, got.Timestamp, got.Signature, got.Body + " "));

        var payload = JsonNode.Parse(got.Body)!;
        Assert.Equal("push", (string?)payload["type"]);
        var data = payload["data"]!;
        Assert.Equal(repo, (string?)data["repository"]!["name"]);
        Assert.Equal("public", (string?)data["repository"]!["visibility"]);
        Assert.Equal("v1", (string?)data["tag"]);
        Assert.Equal(pushed, (string?)data["digest"]);
        Assert.Equal("admin", (string?)data["pusher"]);
        Assert.Equal($"podman pull {server.HostPort}/{repo}:v1", (string?)data["pull_command"]);
        Assert.Equal("v1", (string?)payload["push_data"]!["tag"]);
        Assert.Equal(repo, (string?)payload["repository"]!["repo_name"]);
        Assert.False((bool)payload["repository"]!["is_private"]!);
    }

    public void Dispose() => _tools.Dispose();
}
