using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Defect 9: with the README's split deployment, deleting a repository on the index must remove its content from the
/// registry that holds it, even when that registry is down at the time of the delete. The processes are started with
/// the README's own commands, read from README.md, with only ports and data directories replaced.
/// </summary>
public sealed partial class SplitDeploymentDeleteTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private const string Password = "Us3rPassw0rd!";

    private readonly int _indexPort = RegistryServer.FreeLoopbackPort();
    private readonly int _registryPort = RegistryServer.FreeLoopbackPort();
    private readonly string _user = $"alice{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    private readonly List<RegistryServer> _servers = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private RegistryServer _index = null!;
    private RegistryServer _registry = null!;

    private Uri IndexUri => new($"http://127.0.0.1:{_indexPort}/");

    private Uri RegistryUri => new($"http://127.0.0.1:{_registryPort}/");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_readme_commands_start_processes_whose_repository_delete_reaches_the_registry()
    {
        await StartReadmeDeploymentAsync();
        var repo = $"{_user}/app";
        var image = new ImageFactory().CreateImage(layers: 2);
        var token = await PushAsync(repo, image, "v1");
        await WaitForIndexRecordAsync(repo);

        await DeleteOnIndexAsync(repo);

        await WaitUntilGoneFromRegistryAsync(repo, image, token);
    }

    [Fact]
    public async Task A_delete_made_while_the_registry_is_down_reaches_it_when_it_is_back()
    {
        // The README's commands, plus a short retry cap so the test takes seconds rather than minutes.
        await StartReadmeDeploymentAsync("--deletion-retry-max-seconds", "1");
        var repo = $"{_user}/durable";
        var image = new ImageFactory().CreateImage(layers: 1);
        var token = await PushAsync(repo, image, "v1");
        await WaitForIndexRecordAsync(repo);

        await _registry.KillAsync();
        await DeleteOnIndexAsync(repo);
        await WaitForAsync("the index to try the stopped registry and keep the deletion for later", () =>
            Task.FromResult(_index.ReadLog().Contains($"Deleting repository {repo} on registry {RegistryUri.ToString().TrimEnd('/')} failed", StringComparison.Ordinal)));

        await _registry.RestartAsync();
        await WaitUntilGoneFromRegistryAsync(repo, image, token);
    }

    [Fact]
    public async Task The_registry_refuses_unsigned_misdirected_and_replayed_deletions()
    {
        var secret = await StartReadmeDeploymentAsync();
        var repo = $"{_user}/kept";
        var image = new ImageFactory().CreateImage(layers: 1);
        var token = await PushAsync(repo, image, "v1");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var genuine = DeletionBody(repo);

        Assert.Equal(HttpStatusCode.Unauthorized, await SendDeletionAsync(repo, genuine, now, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendDeletionAsync(repo, genuine, now, Sign(now, genuine, "not-the-secret")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendDeletionAsync(repo, genuine, now + 90, Sign(now + 90, genuine, secret)));
        var other = DeletionBody($"{_user}/other");
        Assert.Equal(HttpStatusCode.BadRequest, await SendDeletionAsync(repo, other, now, Sign(now, other, secret)));
        var invalid = DeletionBody($"{_user}/UPPER");
        Assert.Equal(HttpStatusCode.BadRequest, await SendDeletionAsync($"{_user}/UPPER", invalid, now, Sign(now, invalid, secret)));
        Assert.Equal(HttpStatusCode.OK, await ManifestStatusAsync(repo, image.Manifest.Digest, token));

        // The genuine one is obeyed once; the same bytes replayed after a new push are refused and change nothing.
        var signature = Sign(now, genuine, secret);
        Assert.Equal(HttpStatusCode.NoContent, await SendDeletionAsync(repo, genuine, now, signature));
        Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(repo, image.Manifest.Digest, token));
        token = await PushAsync(repo, image, "v1");
        Assert.Equal(HttpStatusCode.Conflict, await SendDeletionAsync(repo, genuine, now, signature));
        Assert.Equal(HttpStatusCode.OK, await ManifestStatusAsync(repo, image.Manifest.Digest, token));
    }

    /// <summary>Starts the index and the registry with the README's commands; returns the notify secret used.</summary>
    private async Task<string> StartReadmeDeploymentAsync(params string[] extraIndexArgs)
    {
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (indexArgs, registryArgs) = ReadmeCommands(secret);
        _index = await RegistryServer.StartAsync(extraArgs: [.. indexArgs, .. extraIndexArgs], readyPath: ".well-known/jwks.json", defaultAuth: true, port: _indexPort);
        _servers.Add(_index);
        _registry = await RegistryServer.StartAsync(extraArgs: registryArgs, port: _registryPort);
        _servers.Add(_registry);

        // The README's index has sign-up on: the test's user signs up like anyone would.
        using var signup = await _http.PostAsync(new Uri(IndexUri, "api/v1/users"), Json.Content(new JsonObject { ["name"] = _user, ["password"] = Password }));
        await Expect.StatusAsync(signup, HttpStatusCode.Created);
        return secret;
    }

    /// <summary>
    /// The two <c>berth-server</c> command lines of README.md's split-deployment block, with its ports and data
    /// directories replaced by the test's and <c>--urls</c>/<c>--data-dir</c> left to <see cref="RegistryServer"/>
    /// (which passes exactly those values); S becomes <paramref name="secret"/>.
    /// </summary>
    private (List<string> Index, List<string> Registry) ReadmeCommands(string secret)
    {
        var readme = File.ReadAllText(FindReadme());
        var block = SplitBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```sh block after \"Split deployment\"");
        var commands = block.Groups["body"].Value.Replace("\\\n", " ", StringComparison.Ordinal)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList())
            .ToList();
        Assert.Equal(2, commands.Count);
        Assert.All(commands, c => Assert.Equal("berth-server", c[0]));

        List<string> Adapt(List<string> command, int port, string dataDir)
        {
            var args = command.Skip(1).Select(a => a
                .Replace("127.0.0.1:5000", $"127.0.0.1:{_indexPort}", StringComparison.Ordinal)
                .Replace("127.0.0.1:5001", $"127.0.0.1:{_registryPort}", StringComparison.Ordinal)
                .Replace("./index", dataDir, StringComparison.Ordinal)
                .Replace("./registry", dataDir, StringComparison.Ordinal)).ToList();
            Assert.Equal($"http://127.0.0.1:{port}", args[args.IndexOf("--urls") + 1]);
            Assert.Equal(dataDir, args[args.IndexOf("--data-dir") + 1]);
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] == "--notify-secret")
                {
                    Assert.Equal("S", args[i + 1]);
                    args[i + 1] = secret;
                }
            }

            // RegistryServer passes --urls (this very value) and its own data directory itself.
            foreach (var option in new[] { "--urls", "--data-dir" })
            {
                args.RemoveRange(args.IndexOf(option), 2);
            }

            return args;
        }

        var index = commands.Single(c => c.Contains("index"));
        var registry = commands.Single(c => c.Contains("registry") && c != index);
        return (Adapt(index, _indexPort, "DATA"), Adapt(registry, _registryPort, "DATA"));
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            {
                return Path.Combine(dir.FullName, "README.md");
            }
        }

        throw new FileNotFoundException("README.md next to Berth.slnx, above the test binaries");
    }

    /// <summary>Pushes with a pull+push token from the index (kept: it stays valid for the registry after the delete).</summary>
    private async Task<string> PushAsync(string repo, ImageFixture image, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(IndexUri, $"token?service=berth-registry&scope={Uri.EscapeDataString($"repository:{repo}:pull,push")}"));
        request.Headers.Authorization = Basic;
        using var response = await _http.SendAsync(request);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        var token = (string)(await Json.ReadAsync(response))["token"]!;
        using var registry = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = RegistryUri, Timeout = TimeSpan.FromSeconds(60) };
        await V2.PushImageAsync(registry, repo, image, tag, token);
        return token;
    }

    private async Task WaitForIndexRecordAsync(string repo) =>
        await WaitForAsync($"the index to list {repo}", async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(IndexUri, $"api/v1/repositories/{repo}"));
            request.Headers.Authorization = Basic;
            using var response = await _http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.OK && (await Json.ReadAsync(response))["tags"]!.AsArray().Count > 0;
        });

    private async Task DeleteOnIndexAsync(string repo)
    {
        using (var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(IndexUri, $"api/v1/repositories/{repo}")))
        {
            request.Headers.Authorization = Basic;
            using var response = await _http.SendAsync(request);
            await Expect.StatusAsync(response, HttpStatusCode.NoContent);
        }

        using var after = new HttpRequestMessage(HttpMethod.Get, new Uri(IndexUri, $"api/v1/repositories/{repo}"));
        after.Headers.Authorization = Basic;
        using var gone = await _http.SendAsync(after);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    /// <summary>Polls (bounded) until the registry answers 404 NAME_UNKNOWN or MANIFEST_UNKNOWN by digest and by tag.</summary>
    private async Task WaitUntilGoneFromRegistryAsync(string repo, ImageFixture image, string token)
    {
        using var registry = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = RegistryUri, Timeout = TimeSpan.FromSeconds(10) };
        var last = "";
        await WaitForAsync($"the registry to drop {repo}", async () =>
        {
            foreach (var reference in new[] { image.Manifest.Digest, "v1" })
            {
                var (status, body) = await V2.GetAsync(registry, $"v2/{repo}/manifests/{reference}", token);
                last = $"{reference}: {(int)status} {Encoding.UTF8.GetString(body)}";
                if (status != HttpStatusCode.NotFound)
                {
                    return false;
                }

                var code = (string?)JsonNode.Parse(body)?["errors"]?[0]?["code"];
                Assert.True(code is "NAME_UNKNOWN" or "MANIFEST_UNKNOWN", last);
            }

            return true;
        }, () => last);
    }

    private async Task<HttpStatusCode> ManifestStatusAsync(string repo, string digest, string token)
    {
        using var registry = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = RegistryUri, Timeout = TimeSpan.FromSeconds(10) };
        return (await V2.GetAsync(registry, $"v2/{repo}/manifests/{digest}", token)).Status;
    }

    private static byte[] DeletionBody(string repo) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["id"] = Guid.NewGuid().ToString("N"), ["repository"] = repo }.ToJsonString());

    private async Task<HttpStatusCode> SendDeletionAsync(string repo, byte[] body, long timestamp, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(RegistryUri, $"api/v1/internal/repositories/{repo}")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("X-Berth-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Berth-Signature", signature);
        }

        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    private static string Sign(long timestamp, byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.ASCII.GetBytes($"{timestamp}."), .. body]));

    private AuthenticationHeaderValue Basic => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_user}:{Password}")));

    private static async Task WaitForAsync(string what, Func<Task<bool>> done, Func<string>? last = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"timed out after {Limit.TotalSeconds} s waiting for {what}; last: {last?.Invoke() ?? "(none)"}");
    }

    [GeneratedRegex(@"Split deployment.*?```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SplitBlock();
}
