using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// <c>berth tag-rule</c> and <c>berth retention</c> against a real Berth: create, list and delete in a repository and
/// the user's namespace; a pattern the index refuses; the usage errors the CLI catches itself.
/// </summary>
public sealed class TagPolicyCommandTests(WebhookCommandFixture fixture) : IClassFixture<WebhookCommandFixture>
{
    private Sandbox Alice => fixture.Alice;

    private string Host => fixture.Server.HostPort;

    [Fact]
    public async Task Create_list_and_delete_tag_rules_and_retention_policies()
    {
        var repo = $"{Host}/alice/rules";
        (await Alice.BerthAsync("repo", "create", repo)).EnsureSuccess();

        var created = (await Alice.BerthAsync("tag-rule", "create", repo, "v*")).EnsureSuccess().Stdout;
        var id = System.Text.RegularExpressions.Regex.Match(created, @"^created tag rule (\d+) for repository alice/rules on .*: tags v\* are immutable").Groups[1].Value;
        Assert.NotEmpty(id);
        var rules = JsonNode.Parse((await Alice.BerthAsync("tag-rule", "list", "--json", repo)).EnsureSuccess().Stdout)!.AsArray();
        Assert.Equal("v*", (string?)Assert.Single(rules)!["pattern"]);
        Assert.Matches($@"(?m)^\s*{id}\s+v\*\s+", (await Alice.BerthAsync("tag-rule", "list", repo)).EnsureSuccess().Stdout);
        Assert.Equal($"deleted tag rule {id} of repository alice/rules on {Host}", (await Alice.BerthAsync("tag-rule", "delete", repo, id)).EnsureSuccess().Stdout.Trim());
        Assert.Empty(JsonNode.Parse((await Alice.BerthAsync("tag-rule", "list", "--json", repo)).EnsureSuccess().Stdout)!.AsArray());
        Assert.Equal(4, (await Alice.BerthAsync("tag-rule", "delete", repo, id)).ExitCode);

        var policy = (await Alice.BerthAsync("retention", "create", repo, "build-*", "--keep-last", "10", "--keep-days", "30")).EnsureSuccess().Stdout;
        Assert.Contains("of the tags build-*, keep the last 10 pushed and those pushed within 30 days", policy, StringComparison.Ordinal);
        var mine = (await Alice.BerthAsync("retention", "create", "-q", Host, "--user", "nightly-*", "--keep-days", "7")).EnsureSuccess().Stdout.Trim();
        var listed = JsonNode.Parse((await Alice.BerthAsync("retention", "list", "--json", Host, "--user")).EnsureSuccess().Stdout)!.AsArray();
        var only = Assert.Single(listed)!;
        Assert.Equal(mine, ((long)only["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(only["keepLast"]?.GetValue<int?>());
        Assert.Equal(7, (int)only["keepDays"]!);
        (await Alice.BerthAsync("retention", "delete", Host, "--user", mine)).EnsureSuccess();
        Assert.Single(JsonNode.Parse((await Alice.BerthAsync("retention", "list", "--json", repo)).EnsureSuccess().Stdout)!.AsArray());

        var invalid = await Alice.BerthAsync("tag-rule", "create", repo, "v/1");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("pattern must be a tag pattern", invalid.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await Alice.BerthAsync("retention", "create", repo, "x*")).ExitCode); // neither --keep-last nor --keep-days
        Assert.Equal(2, (await Alice.BerthAsync("tag-rule", "list", repo, "--user")).ExitCode);
    }
}
