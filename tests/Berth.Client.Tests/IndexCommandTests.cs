using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// The index verbs (search, star/unstar, comment/comments, repo create|visibility|delete|show) against a real Berth
/// with token auth and two accounts, each with their own berth login; what is asserted is what users see: output,
/// JSON and exit codes.
/// </summary>
public sealed class IndexCommandTests : IAsyncLifetime, IDisposable
{
    private const string AdminPassword = "berth-index-admin";
    private const string Password = "index-verbs-pass";
    private readonly Sandbox _alice = new();
    private readonly Sandbox _bob = new();
    private readonly Sandbox _anonymous = new();
    private readonly ImageFactory _factory = new();
    private RegistryServer? _server;

    private RegistryServer Server => _server!;

    private string Host => Server.HostPort;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(RegistryKind.Berth,
            extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        using var http = new HttpClient { BaseAddress = Server.BaseUri };
        foreach (var user in new[] { "alice", "bob" })
        {
            // Sign-up is open by default.
            using var created = await http.PostAsJsonAsync("api/v1/users", new { name = user, password = Password });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
    }

    [Fact]
    public async Task Create_push_show_star_comment_search_publish_and_delete()
    {
        (await _alice.BerthAsync("login", Host, "-u", "alice", "-p", Password)).EnsureSuccess();
        (await _bob.BerthAsync("login", Host, "-u", "bob", "-p", Password)).EnsureSuccess();
        var web = $"{Host}/alice/web";

        // create: private, with a description; a second create is refused.
        var created = (await _alice.BerthAsync("repo", "create", web, "--private", "--description", "The web front end")).EnsureSuccess();
        Assert.Equal($"created {web} (private)", created.Stdout.Trim());
        var again = await _alice.BerthAsync("repo", "create", web);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);

        // push, then show lists the tag with its digest and size.
        var image = _factory.CreateImage(layers: 2);
        (await _alice.BerthAsync("push", _alice.NewLayout((image, "v1")).Reference("v1"), $"{web}:v1")).EnsureSuccess();
        var shown = await ShowUntilAsync(_alice, web, s => s["tags"]!.AsArray().Count > 0);
        Assert.Equal("alice/web", (string?)shown["name"]);
        Assert.Equal("private", (string?)shown["visibility"]);
        Assert.Equal("The web front end", (string?)shown["description"]);
        Assert.Equal("admin", (string?)shown["permission"]);
        var tag = Assert.Single(shown["tags"]!.AsArray())!;
        Assert.Equal("v1", (string?)tag["name"]);
        Assert.Equal(image.Manifest.Digest, (string?)tag["digest"]);
        Assert.Equal(image.AllContent.Sum(b => (long)b.Bytes.Length), (long)tag["size"]!);
        var human = (await _alice.BerthAsync("repo", "show", web)).EnsureSuccess().Stdout;
        Assert.Contains("Visibility:  private", human, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^v1\s+{image.Manifest.Digest}\s+", human);
        Assert.Equal($"v1 {image.Manifest.Digest}", (await _alice.BerthAsync("repo", "show", "-q", web)).EnsureSuccess().Stdout.Trim());

        // star / unstar change the count (idempotently) and say so.
        Assert.Equal($"starred {web} (1 star)", (await _alice.BerthAsync("star", web)).EnsureSuccess().Stdout.Trim());
        (await _alice.BerthAsync("star", web)).EnsureSuccess();
        shown = await ShowAsync(_alice, web);
        Assert.Equal(1, (long)shown["starCount"]!);
        Assert.True((bool)shown["starred"]!);
        var unstarred = JsonNode.Parse((await _alice.BerthAsync("unstar", "--json", web)).EnsureSuccess().Stdout)!;
        Assert.Equal(0, (long)unstarred["starCount"]!);
        Assert.False((bool)unstarred["starred"]!);
        Assert.Equal(0, (long)(await ShowAsync(_alice, web))["starCount"]!);

        // comment, then comments shows author, time and body.
        var comment = JsonNode.Parse((await _alice.BerthAsync("comment", "--json", web, "Ships **v1**\nwith care")).EnsureSuccess().Stdout)!;
        Assert.Equal("alice", (string?)comment["author"]);
        var comments = JsonNode.Parse((await _alice.BerthAsync("comments", "--json", web)).EnsureSuccess().Stdout)!.AsArray();
        var listed = Assert.Single(comments)!;
        Assert.Equal((long)comment["id"]!, (long)listed["id"]!);
        Assert.Equal("Ships **v1**\nwith care", (string?)listed["body"]);
        Assert.Contains("<strong>v1</strong>", (string?)listed["html"], StringComparison.Ordinal);
        var text = (await _alice.BerthAsync("comments", web)).EnsureSuccess().Stdout;
        Assert.Matches($@"(?m)^#{(long)comment["id"]!}  alice  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$", text);
        Assert.Contains("    Ships **v1**\n    with care\n", text, StringComparison.Ordinal);

        // search finds alice's repository for alice, but not bob's private one, which bob finds.
        (await _bob.BerthAsync("repo", "create", $"{Host}/bob/web-secret", "--private")).EnsureSuccess();
        var aliceFinds = await SearchAsync(_alice, "web");
        Assert.Contains("alice/web", aliceFinds);
        Assert.DoesNotContain("bob/web-secret", aliceFinds);
        Assert.Contains("bob/web-secret", await SearchAsync(_bob, "web"));
        var table = (await _alice.BerthAsync("search", $"{Host}/web")).EnsureSuccess().Stdout.Split('\n');
        Assert.Matches(@"^NAME\s+STARS\s+PULLS\s+DESCRIPTION$", table[0]);
        Assert.Contains(table, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^alice/web\s+0\s+\d+\s+The web front end$"));
        Assert.Equal(4, (await _alice.BerthAsync("repo", "show", $"{Host}/bob/web-secret")).ExitCode);

        // Private: anonymous users neither find nor pull it, nor star anything.
        Assert.Empty(await SearchAsync(_anonymous, "web"));
        var hidden = await _anonymous.BerthAsync("pull", $"{web}:v1", $"oci:{_anonymous.NewPath("hidden")}:v1");
        Assert.Contains(hidden.ExitCode, new[] { 3, 4 });
        var anonymousStar = await _anonymous.BerthAsync("star", web);
        Assert.Equal(3, anonymousStar.ExitCode);
        Assert.Contains($"berth login {Host}", anonymousStar.Stderr, StringComparison.Ordinal);

        // Public: anonymous pull works (same digest), search shows it to everyone.
        Assert.Equal($"{web} is public", (await _alice.BerthAsync("repo", "visibility", web, "public")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("public", (string?)(await ShowAsync(_anonymous, web))["visibility"]);
        var pulled = OciLayout.Create(_anonymous.NewPath("pulled"));
        (await _anonymous.BerthAsync("pull", $"{web}:v1", $"oci:{pulled.Path}:v1")).EnsureSuccess();
        Clients.AssertLayoutHolds(pulled, "v1", image);
        Assert.Equal(new[] { "alice/web" }, await SearchAsync(_anonymous, "web"));

        // Only an admin of the repository deletes it; bob may read it now but is refused (exit 3).
        var refused = await _bob.BerthAsync("repo", "delete", "--yes", web);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("access denied", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal($"deleted {web}", (await _alice.BerthAsync("repo", "delete", "--yes", web)).EnsureSuccess().Stdout.Trim());
        var gone = await _alice.BerthAsync("repo", "show", web);
        Assert.Equal(4, gone.ExitCode);
        Assert.Contains("does not exist", gone.Stderr, StringComparison.Ordinal);
        Assert.Empty(await SearchAsync(_alice, "web"));
    }

    [Fact]
    public async Task Usage_errors_wrong_credentials_and_a_registry_without_an_index_have_their_exit_codes()
    {
        var web = $"{Host}/alice/web";
        Assert.Equal(2, (await _alice.BerthAsync("repo", "show", $"{web}:v1")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("star", $"{web}@sha256:{new string('0', 64)}")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("search", "web")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("search", "--limit", "0", $"{Host}/web")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("repo", "create", web, "--public", "--private")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("repo", "visibility", web, "secret")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("comment", web, "  ")).ExitCode);
        // Deleting asks; with no terminal to ask on, only --yes will do.
        var unconfirmed = await _alice.BerthAsync("repo", "delete", web, "--creds", $"alice:{Password}");
        Assert.Equal(2, unconfirmed.ExitCode);
        Assert.Contains("--yes", unconfirmed.Stderr, StringComparison.Ordinal);

        var wrong = await _alice.BerthAsync("repo", "create", web, "--creds", "alice:not-the-password");
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("refused the credentials of 'alice'", wrong.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, (await _alice.BerthAsync("repo", "show", web, "--creds", $"alice:{Password}")).ExitCode);

        // The index verbs need Berth's REST API; a plain registry is told apart from a missing repository.
        await using var distribution = await RegistryServer.StartAsync(RegistryKind.Distribution);
        var plain = await _alice.BerthAsync("search", $"{distribution.HostPort}/web");
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("does not serve the Berth index API", plain.Stderr, StringComparison.Ordinal);
    }

    private static async Task<JsonNode> ShowAsync(Sandbox sandbox, string repository) =>
        JsonNode.Parse((await sandbox.BerthAsync("repo", "show", "--json", repository)).EnsureSuccess().Stdout)!;

    /// <summary>Shows until <paramref name="done"/> holds (at most 20 s): the index records a push from the outbox, just after it.</summary>
    private static async Task<JsonNode> ShowUntilAsync(Sandbox sandbox, string repository, Func<JsonNode, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var shown = await ShowAsync(sandbox, repository);
            if (done(shown) || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return shown;
            }

            await Task.Delay(100);
        }
    }

    private async Task<List<string>> SearchAsync(Sandbox sandbox, string term)
    {
        var found = JsonNode.Parse((await sandbox.BerthAsync("search", "--json", $"{Host}/{term}")).EnsureSuccess().Stdout)!;
        Assert.Equal(term, (string?)found["query"]);
        return [.. found["results"]!.AsArray().Select(r => (string)r!["name"]!)];
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _anonymous.Dispose();
    }
}
