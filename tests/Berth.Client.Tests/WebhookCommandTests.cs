using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// <c>berth webhook</c> against a real Berth: create (the secret printed once), list, show, update and delete in a
/// repository, an organisation and the user's namespace, with the exit codes of the other index verbs.
/// </summary>
public sealed class WebhookCommandTests : IAsyncLifetime, IDisposable
{
    private const string Password = "webhook-verbs-pass";
    private readonly Sandbox _alice = new();
    private RegistryServer? _server;

    private string Host => _server!.HostPort;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(RegistryKind.Berth,
            extraArgs: ["--auth", "token", "--admin-password", "berth-webhook-admin", "--Berth:BcryptWorkFactor", "4"]);
        using var http = new HttpClient { BaseAddress = _server.BaseUri };
        using var created = await http.PostAsJsonAsync("api/v1/users", new { name = "alice", password = Password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        (await _alice.BerthAsync("login", Host, "-u", "alice", "-p", Password)).EnsureSuccess();
    }

    [Fact]
    public async Task Create_list_show_update_and_delete_webhooks_in_each_scope()
    {
        var repo = $"{Host}/alice/app";
        (await _alice.BerthAsync("repo", "create", repo)).EnsureSuccess();

        // create prints the secret once, with the warning to keep it; every event type by default.
        var created = (await _alice.BerthAsync("webhook", "create", repo, "--url", "https://receiver.example/hook", "--description", "CI")).EnsureSuccess();
        var id = System.Text.RegularExpressions.Regex.Match(created.Stdout, @"^created webhook (\d+) for repository alice/app").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Matches(@"(?m)^secret: whsec_[A-Za-z0-9+/]{43}=$", created.Stdout);
        Assert.Contains("will not show it again", created.Stderr, StringComparison.Ordinal);

        var listed = JsonNode.Parse((await _alice.BerthAsync("webhook", "list", "--json", repo)).EnsureSuccess().Stdout)!.AsArray();
        var hook = Assert.Single(listed)!;
        Assert.Equal(id, ((long)hook["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(8, hook["events"]!.AsArray().Count);
        Assert.Null(hook["secret"]);
        Assert.Matches($@"(?m)^\s*{id}\s+https://receiver.example/hook\s+enabled\s+push,", (await _alice.BerthAsync("webhook", "list", repo)).EnsureSuccess().Stdout);

        var updated = (await _alice.BerthAsync("webhook", "update", repo, id, "--disable", "--event", "push", "--event", "tag.deleted")).EnsureSuccess();
        Assert.Contains("(disabled; push, tag.deleted)", updated.Stdout, StringComparison.Ordinal);
        var shown = (await _alice.BerthAsync("webhook", "show", repo, id)).EnsureSuccess().Stdout;
        Assert.Contains("State:       disabled", shown, StringComparison.Ordinal);
        Assert.Contains("Description: CI", shown, StringComparison.Ordinal);

        var rotated = JsonNode.Parse((await _alice.BerthAsync("webhook", "rotate-secret", "--json", repo, id)).EnsureSuccess().Stdout)!;
        Assert.StartsWith("whsec_", (string)rotated["secret"]!, StringComparison.Ordinal);

        Assert.Equal($"deleted webhook {id} of repository alice/app on {Host}", (await _alice.BerthAsync("webhook", "delete", repo, id)).EnsureSuccess().Stdout.Trim());
        Assert.Empty(JsonNode.Parse((await _alice.BerthAsync("webhook", "list", "--json", repo)).EnsureSuccess().Stdout)!.AsArray());
        var gone = await _alice.BerthAsync("webhook", "delete", repo, id);
        Assert.Equal(4, gone.ExitCode);

        // The user's namespace and an organisation: TARGET is the index alone.
        var mine = (await _alice.BerthAsync("webhook", "create", "-q", Host, "--user", "--url", "http://receiver.example/me", "--event", "star")).EnsureSuccess().Stdout.Trim().Split(' ');
        Assert.Equal(2, mine.Length);
        Assert.StartsWith("whsec_", mine[1], StringComparison.Ordinal);
        Assert.Equal(mine[0], (await _alice.BerthAsync("webhook", "list", "-q", Host, "--user")).EnsureSuccess().Stdout.Trim());
        using (var http = new HttpClient { BaseAddress = _server!.BaseUri })
        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/orgs") { Content = JsonContent.Create(new { name = "alice-org" }) })
        {
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"alice:{Password}")));
            using var org = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, org.StatusCode);
        }

        (await _alice.BerthAsync("webhook", "create", Host, "--org", "alice-org", "--url", "https://receiver.example/org")).EnsureSuccess();
        Assert.Single(JsonNode.Parse((await _alice.BerthAsync("webhook", "list", "--json", Host, "--org", "alice-org")).EnsureSuccess().Stdout)!.AsArray());
    }

    [Fact]
    public async Task Usage_and_refusals_have_the_exit_codes_of_the_other_index_verbs()
    {
        var repo = $"{Host}/alice/usage";
        (await _alice.BerthAsync("repo", "create", repo)).EnsureSuccess();
        Assert.Equal(2, (await _alice.BerthAsync("webhook", "create", repo)).ExitCode); // --url is required
        Assert.Equal(2, (await _alice.BerthAsync("webhook", "create", repo, "--url", "https://r.example/", "--event", "pushed")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("webhook", "list", Host, "--user", "--org", "x")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("webhook", "list", repo, "--user")).ExitCode);
        Assert.Equal(2, (await _alice.BerthAsync("webhook", "update", repo, "1")).ExitCode);

        var invalid = await _alice.BerthAsync("webhook", "create", repo, "--url", "ftp://r.example/");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("url must be an absolute http or https URL", invalid.Stderr, StringComparison.Ordinal);
        var missing = await _alice.BerthAsync("webhook", "show", $"{Host}/alice/missing", "1");
        Assert.True(missing.ExitCode == 4, $"{missing.ExitCode}: {missing.Stderr}");

        foreach (var verb in new[] { "create", "list", "show", "update", "delete", "rotate-secret", "ping", "deliveries", "redeliver" })
        {
            var help = (await _alice.BerthAsync("webhook", verb, "--help")).EnsureSuccess().Stdout;
            Assert.Contains("--org", help, StringComparison.Ordinal);
            Assert.Contains("TARGET", help, StringComparison.Ordinal);
        }
    }

    public Task DisposeAsync() => _server?.DisposeAsync().AsTask() ?? Task.CompletedTask;

    public void Dispose() => _alice.Dispose();
}
