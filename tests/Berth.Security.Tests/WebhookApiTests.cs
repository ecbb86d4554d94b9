using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>One site with a user, an organisation and private repositories, shared by the webhook management tests.</summary>
public sealed class WebhookApiFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public Actor Owner { get; private set; } = null!;

    /// <summary>A private repository of <see cref="Owner"/> whose name has two slashes (the catch-all dispatcher's case).</summary>
    public string Repo => $"{Owner.Name}/hooks/app";

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync();
        Owner = await Site.CreateUserAsync("hookowner");
        await CreateRepositoryAsync(Owner, Repo);
    }

    public async Task CreateRepositoryAsync(Actor actor, string name)
    {
        using var response = await actor.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = name, ["visibility"] = "private" });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();
}

/// <summary>Issue 12, webhook management: create, list, get, update, delete and rotate through the REST API.</summary>
public sealed class WebhookApiTests(WebhookApiFixture fixture) : IClassFixture<WebhookApiFixture>
{
    [Fact]
    public async Task A_created_webhook_is_listed_and_read_back_without_its_secret()
    {
        var owner = fixture.Owner;
        var path = $"api/v1/repositories/{fixture.Repo}/-/webhooks";
        using var created = await owner.SendAsync(HttpMethod.Post, path, new JsonObject
        {
            ["url"] = "https://receiver.example/hook",
            ["events"] = new JsonArray("push", "tag.deleted"),
            ["description"] = "CI",
        });
        await Expect.StatusAsync(created, HttpStatusCode.Created);
        var body = await Json.ReadAsync(created);
        var id = (long)body["id"]!;
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", (string)body["secret"]!);
        Assert.Equal(32, Convert.FromBase64String(((string)body["secret"]!)["whsec_".Length..]).Length);
        Assert.Equal(["push", "tag.deleted"], body["events"]!.AsArray().Select(e => (string)e!));
        Assert.True((bool)body["enabled"]!);
        Assert.EndsWith($"/webhooks/{id}", created.Headers.Location!.ToString(), StringComparison.Ordinal);

        var list = await owner.GetJsonAsync(path);
        var listed = Assert.Single(list.AsArray(), w => (long)w!["id"]! == id)!;
        Assert.Equal("https://receiver.example/hook", (string)listed["url"]!);
        Assert.Null(listed["secret"]);

        var one = await owner.GetJsonAsync($"{path}/{id}");
        Assert.Equal("CI", (string)one["description"]!);
        Assert.Equal(owner.Name, (string)one["createdBy"]!);
        Assert.Null(one["secret"]);
    }
}
