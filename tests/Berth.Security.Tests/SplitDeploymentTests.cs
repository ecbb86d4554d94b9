using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Scenario E on loopback: an index process (accounts, tokens, records) and a separate registry process that trusts
/// the index's JWKS and reports pushes and deletes to it through signed notifications.
/// </summary>
public sealed class SplitDeploymentFixture : IAsyncLifetime
{
    public string Secret { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public Site Index { get; private set; } = null!;

    public RegistryServer Registry { get; private set; } = null!;

    public Actor Alice { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The index must know its registry (to delete content with a repository) and the registry its index.
        var registryPort = RegistryServer.FreeLoopbackPort();
        Index = await Site.StartAsync(
            ["--role", "index", "--notify-secret", Secret, "--registry-url", $"http://127.0.0.1:{registryPort}"],
            defaultAuth: true,
            readyPath: ".well-known/jwks.json");
        var index = $"http://{Index.HostPort}";
        Registry = await RegistryServer.StartAsync(port: registryPort, extraArgs:
        [
            "--role", "registry", "--auth", "token",
            "--token-realm", $"{index}/token",
            "--token-jwks", $"{index}/.well-known/jwks.json",
            "--index-url", index,
            "--notify-secret", Secret,
        ]);
        Alice = await Index.CreateUserAsync("alice");
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Index.DisposeAsync();
    }
}

/// <summary>Scenario E end to end: push through the registry, the index record follows; delete, it follows again.</summary>
public sealed class SplitDeploymentTests(SplitDeploymentFixture fixture) : IClassFixture<SplitDeploymentFixture>, IDisposable
{
    private static readonly TimeSpan PropagationLimit = TimeSpan.FromSeconds(20);

    private readonly ToolSandbox _tools = new();

    private Site Index => fixture.Index;

    private RegistryServer Registry => fixture.Registry;

    private Actor Alice => fixture.Alice;

    [Fact]
    public async Task The_index_has_no_v2_and_the_registry_sends_clients_to_the_index_for_tokens()
    {
        using (var onIndex = await Index.Http.GetAsync("v2/"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onIndex.StatusCode);
        }

        using var http = new HttpClient { BaseAddress = Registry.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync($"v2/{Alice.Name}/app/tags/list");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            $"Bearer realm=\"http://{Index.HostPort}/token\",service=\"{Site.Service}\",scope=\"repository:{Alice.Name}/app:pull\"",
            Expect.Challenge(response));
    }

    [Fact]
    public async Task Pushes_and_deletes_through_the_registry_reach_the_index_record()
    {
        var factory = new ImageFactory();
        var first = factory.CreateImage(layers: 2);
        var second = factory.CreateImage(layers: 1);
        var repo = $"{Alice.Name}/app";
        var remote = $"docker://{Registry.HostPort}/{repo}";
        var creds = $"{Alice.Name}:{Alice.Secret}";
        var source = _tools.NewLayout((first, "one"), (second, "two"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds, source.Reference("one"), $"{remote}:v1")).EnsureSuccess();
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds, source.Reference("two"), $"{remote}:v2")).EnsureSuccess();

        // The registry serves it back, byte for byte, with a token from the index.
        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", creds, $"{remote}:v1", back.Reference("v1"))).EnsureSuccess();
        Clients.AssertHoldsExactly(back, "v1", first);

        // The index record follows: tags, digests, sizes.
        var record = await WaitForRecordAsync(repo, r => Tags(r).Count == 2);
        var tags = Tags(record);
        Assert.Equal(["v1", "v2"], tags.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(first.Manifest.Digest, (string?)tags["v1"]["digest"]);
        Assert.Equal(second.Manifest.Digest, (string?)tags["v2"]["digest"]);
        Assert.Equal(first.AllContent.Sum(b => b.Size), (long)tags["v1"]["size"]!);
        Assert.Equal(second.AllContent.Sum(b => b.Size), (long)tags["v2"]["size"]!);
        Assert.Equal(first.Manifest.MediaType, (string?)tags["v1"]["mediaType"]);
        Assert.Equal("private", (string?)record["visibility"]);
        Assert.NotNull(record["lastPushedAt"]);

        // The index governs access: private, so no anonymous pull through the registry; public, then yes.
        Clients.AssertRefused(await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--no-creds", $"{remote}:v1"));
        using (var patch = await Alice.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["visibility"] = "public" }))
        {
            await Expect.StatusAsync(patch, HttpStatusCode.OK);
        }

        (await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--no-creds", $"{remote}:v1")).EnsureSuccess();

        // Delete through the registry (by digest: the manifest and its tag go); the index record drops it.
        (await _tools.SkopeoAsync("delete", "--tls-verify=false", "--creds", creds, $"{remote}@{first.Manifest.Digest}")).EnsureSuccess();
        record = await WaitForRecordAsync(repo, r => !Tags(r).ContainsKey("v1"));
        Assert.Equal(["v2"], Tags(record).Keys);
        Assert.Equal(second.Manifest.Digest, (string?)Tags(record)["v2"]["digest"]);
    }

    [Fact]
    public async Task Deleting_a_repository_on_the_index_deletes_its_manifests_on_the_registry()
    {
        // Seed scenario C: the index deletes the record and has the registry (named by --registry-url) delete the content.
        var image = new ImageFactory().CreateImage(layers: 1);
        var repo = $"{Alice.Name}/doomed";
        var remote = $"docker://{Registry.HostPort}/{repo}";
        var creds = $"{Alice.Name}:{Alice.Secret}";
        var source = _tools.NewLayout((image, "one"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds, source.Reference("one"), $"{remote}:v1")).EnsureSuccess();
        await WaitForRecordAsync(repo, r => Tags(r).ContainsKey("v1"));

        using (var delete = await Alice.SendAsync(HttpMethod.Delete, $"api/v1/repositories/{repo}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var gone = await Alice.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // The manifest goes from the registry (by digest and by tag), not just from the index: delivered in the
        // background, so polled for (bounded).
        var clock = Stopwatch.StartNew();
        CliResult inspect;
        do
        {
            await Task.Delay(200);
            inspect = await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", creds, $"{remote}@{image.Manifest.Digest}");
        }
        while (inspect.ExitCode == 0 && clock.Elapsed < PropagationLimit);

        Assert.NotEqual(0, inspect.ExitCode);
        // The whole repository goes, so the registry may not know the name at all any more.
        Assert.True(
            inspect.Stderr.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase) || inspect.Stderr.Contains("name unknown", StringComparison.OrdinalIgnoreCase),
            inspect.Stderr);
        Assert.NotEqual(0, (await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", creds, $"{remote}:v1")).ExitCode);
    }

    [Fact]
    public async Task Events_with_a_wrong_or_missing_signature_are_rejected()
    {
        var body = Encoding.UTF8.GetBytes($$$"""
            {"events":[{"id":"forged-1","timestamp":"2026-01-01T00:00:00Z","action":"delete","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{new string('0', 64)}}}","size":1,"length":1,"repository":"{{{Alice.Name}}}/forged","tag":"latest"},"actor":{"name":"mallory"}}]}
            """);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, Sign(now, body, "not-the-secret")));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, null, Sign(now, body, fixture.Secret)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, "sha256=" + new string('0', 64)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, Sign(now, "{\"events\":[]}"u8.ToArray(), fixture.Secret)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, Sign(now, body, fixture.Secret).ToUpperInvariant()));

        // A genuine envelope captured and replayed later: its signed timestamp has expired.
        var old = now - 600;
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, old, Sign(old, body, fixture.Secret)));
        // The timestamp is signed: moving it forward breaks the signature.
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventsAsync(body, now, Sign(old, body, fixture.Secret)));

        // The control: the right secret over the timestamp and the exact bytes is accepted.
        var empty = "{\"events\":[]}"u8.ToArray();
        Assert.Equal(HttpStatusCode.Accepted, await PostEventsAsync(empty, now, Sign(now, empty, fixture.Secret)));
    }

    private async Task<HttpStatusCode> PostEventsAsync(byte[] body, long? timestamp, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/internal/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/vnd.docker.distribution.events.v2+json");
        if (timestamp is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Berth-Timestamp", timestamp.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Berth-Signature", signature);
        }

        using var response = await Index.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static string Sign(long timestamp, byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.ASCII.GetBytes($"{timestamp}."), .. body]));

    /// <summary>Polls the index's record of <paramref name="repo"/> until <paramref name="done"/> holds (bounded).</summary>
    private async Task<JsonNode> WaitForRecordAsync(string repo, Func<JsonNode, bool> done)
    {
        var clock = Stopwatch.StartNew();
        var last = "(no answer)";
        while (clock.Elapsed < PropagationLimit)
        {
            using var response = await Alice.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repo}");
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var record = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                if (done(record))
                {
                    return record;
                }
            }

            await Task.Delay(200);
        }

        Assert.Fail($"the index record of {repo} did not follow within {PropagationLimit.TotalSeconds} s; last: {last}");
        return null!;
    }

    private static Dictionary<string, JsonNode> Tags(JsonNode record) =>
        (record["tags"]?.AsArray() ?? []).ToDictionary(t => (string)t!["name"]!, t => t!);

    public void Dispose() => _tools.Dispose();
}
