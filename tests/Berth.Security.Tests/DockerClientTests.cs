using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests;

/// <summary>A private Docker engine and an all-in-one Berth with token auth (its default), with one user.</summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public DockerDaemon Docker { get; } = new();

    public Site Site { get; private set; } = null!;

    public Actor Alice { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Both, even if one fails: a missing engine must fail the tests loudly, not hang them.
        var docker = Docker.InitializeAsync();
        Site = await Site.StartAsync(defaultAuth: true);
        Alice = await Site.CreateUserAsync("alice");
        await docker;
    }

    public async Task DisposeAsync()
    {
        await Docker.DisposeAsync();
        if (Site is not null)
        {
            await Site.DisposeAsync();
        }
    }
}

/// <summary>
/// Docker, the client Berth's users have in their hands (Debian's docker.io 20.10), against the all-in-one server
/// with token auth: login with a password and with a PAT, push (with a cross-repository mount), pull, manifest
/// inspect, search anonymous and logged in, and an anonymous pull of a private repository refused.
/// </summary>
public sealed partial class DockerClientTests(DockerFixture fixture, ITestOutputHelper output) : IClassFixture<DockerFixture>
{
    private Site Site => fixture.Site;

    private Actor Alice => fixture.Alice;

    private string Host => Site.HostPort;

    [Fact]
    public async Task Docker_logs_in_with_a_password_and_with_a_PAT_and_refuses_a_wrong_password()
    {
        var docker = fixture.Docker.NewClient();
        var wrong = await docker.LoginAsync(Host, Alice.Name!, "not-the-password");
        output.WriteLine($"docker login with a wrong password: {Clients.AssertRefused(wrong)}");

        var password = (await docker.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        Assert.Contains("Login Succeeded", password.Stdout, StringComparison.Ordinal);
        (await docker.RunAsync("logout", Host)).EnsureSuccess();

        var (_, pat) = await Alice.CreateAccessTokenAsync("read", "write");
        var withPat = (await docker.LoginAsync(Host, Alice.Name!, pat)).EnsureSuccess();
        Assert.Contains("Login Succeeded", withPat.Stdout, StringComparison.Ordinal);

        // The PAT login is good for a push, not only for the login handshake.
        var image = $"{Host}/{Alice.Name}/pat-{Suffix()}:v1";
        await docker.ImportImageAsync(image);
        (await docker.RunAsync("push", image)).EnsureSuccess();
    }

    [Fact]
    public async Task Docker_pushes_mounts_into_a_second_repository_and_pulls_back_the_same_digests()
    {
        var docker = fixture.Docker.NewClient();
        (await docker.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        var suffix = Suffix();
        var first = $"{Host}/{Alice.Name}/app-{suffix}:v1";
        var second = $"{Host}/{Alice.Name}/copy-{suffix}:v1";
        await docker.ImportImageAsync(first);
        var imageId = await ImageIdAsync(docker, first);

        var pushed = PushedDigest((await docker.RunAsync("push", first)).EnsureSuccess());
        (await docker.RunAsync("tag", first, second)).EnsureSuccess();
        var copy = (await docker.RunAsync("push", second)).EnsureSuccess();
        output.WriteLine(copy.Stdout);

        // The layer is not uploaded again: Docker asks for a mount from the first repository and the server answers 201.
        Assert.Contains($"Mounted from {Alice.Name}/app-{suffix}", copy.Stdout, StringComparison.Ordinal);
        Assert.Equal(pushed, PushedDigest(copy));

        (await docker.RunAsync("rmi", "--force", imageId)).EnsureSuccess();
        Assert.False((await docker.RunAsync("image", "inspect", first)).Succeeded);
        foreach (var reference in new[] { first, second })
        {
            (await docker.RunAsync("pull", reference)).EnsureSuccess();
            Assert.Equal(imageId, await ImageIdAsync(docker, reference));
            var repoDigests = (await docker.RunAsync("image", "inspect", "--format", "{{json .RepoDigests}}", reference)).EnsureSuccess().Stdout;
            Assert.Contains($"@{pushed}", repoDigests, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Docker_manifest_inspect_shows_the_manifest_that_was_pushed()
    {
        var docker = fixture.Docker.NewClient();
        (await docker.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        var image = $"{Host}/{Alice.Name}/inspect-{Suffix()}:v1";
        await docker.ImportImageAsync(image);
        var imageId = await ImageIdAsync(docker, image);
        (await docker.RunAsync("push", image)).EnsureSuccess();

        var inspect = (await docker.RunAsync("manifest", "inspect", "--insecure", image)).EnsureSuccess();
        var manifest = JsonNode.Parse(inspect.Stdout)!;
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", (string?)manifest["mediaType"]);
        Assert.Equal(imageId, (string?)manifest["config"]!["digest"]);
        Assert.Single(manifest["layers"]!.AsArray());
    }

    [Fact]
    public async Task An_anonymous_docker_pull_of_a_private_repository_is_refused()
    {
        var owner = fixture.Docker.NewClient();
        (await owner.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        var image = $"{Host}/{Alice.Name}/secret-{Suffix()}:v1";
        await owner.ImportImageAsync(image);
        (await owner.RunAsync("push", image)).EnsureSuccess();
        var imageId = await ImageIdAsync(owner, image);
        (await owner.RunAsync("rmi", "--force", imageId)).EnsureSuccess();

        var anonymous = fixture.Docker.NewClient();
        var pull = await anonymous.RunAsync("pull", image);
        output.WriteLine($"anonymous docker pull of a private repository: {Clients.AssertRefused(pull)}");
        Assert.False((await anonymous.RunAsync("image", "inspect", image)).Succeeded);
    }

    [Fact]
    public async Task Anonymous_docker_search_finds_public_repositories_and_not_private_ones()
    {
        var (term, publicRepo, privateRepo) = await PushSearchableAsync();
        var anonymous = fixture.Docker.NewClient();
        var names = await SearchAsync(anonymous, term);
        Assert.Contains(publicRepo, names);
        Assert.DoesNotContain(privateRepo, names);
    }

    [Fact]
    public async Task Logged_in_docker_search_finds_the_users_private_repository()
    {
        var (term, publicRepo, privateRepo) = await PushSearchableAsync();
        var docker = fixture.Docker.NewClient();
        (await docker.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        var names = await SearchAsync(docker, term);
        Assert.Contains(publicRepo, names);
        Assert.Contains(privateRepo, names);
    }

    /// <summary>Two repositories whose names share a unique term: one made public through the API, one private.</summary>
    private async Task<(string Term, string Public, string Private)> PushSearchableAsync()
    {
        var docker = fixture.Docker.NewClient();
        (await docker.LoginAsync(Host, Alice.Name!, Alice.Secret!)).EnsureSuccess();
        var term = "find" + Suffix();
        var publicRepo = $"{Alice.Name}/{term}-open";
        var privateRepo = $"{Alice.Name}/{term}-closed";
        foreach (var repo in new[] { publicRepo, privateRepo })
        {
            await docker.ImportImageAsync($"{Host}/{repo}:v1");
            (await docker.RunAsync("push", $"{Host}/{repo}:v1")).EnsureSuccess();
        }

        using var patch = await Alice.SendAsync(HttpMethod.Patch, $"api/v1/repositories/{publicRepo}", new JsonObject { ["visibility"] = "public" });
        await Expect.StatusAsync(patch, HttpStatusCode.OK);
        return (term, publicRepo, privateRepo);
    }

    private async Task<List<string>> SearchAsync(DockerClient docker, string term)
    {
        var result = await docker.RunAsync("search", "--no-trunc", "--format", "{{.Name}}", $"{Host}/{term}");
        output.WriteLine(result.ToString());
        result.EnsureSuccess();
        // Docker may print the names with or without the registry host in front.
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.StartsWith(Host + "/", StringComparison.Ordinal) ? n[(Host.Length + 1)..] : n)
            .ToList();
    }

    private static async Task<string> ImageIdAsync(DockerClient docker, string reference) =>
        (await docker.RunAsync("image", "inspect", "--format", "{{.Id}}", reference)).EnsureSuccess().Stdout.Trim();

    /// <summary>The digest in docker push's last line: <c>v1: digest: sha256:… size: N</c>.</summary>
    private static string PushedDigest(CliResult push)
    {
        var match = PushDigestLine().Match(push.Stdout);
        Assert.True(match.Success, $"no digest in docker push output:\n{push.Stdout}");
        return match.Groups[1].Value;
    }

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushDigestLine();
}
