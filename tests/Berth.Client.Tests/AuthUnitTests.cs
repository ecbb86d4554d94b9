using System.Text;
using System.Text.Json.Nodes;
using Berth.Client.Auth;

namespace Berth.Client.Tests;

/// <summary>Challenge parsing, token responses, scope merging and the docker config.json store.</summary>
public sealed class AuthUnitTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "berth-auth-" + Guid.NewGuid().ToString("N"));

    public AuthUnitTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public void Bearer_challenge_parameters_are_read_with_quotes_and_commas()
    {
        var parameters = AuthChallenge.ParseParameters(
            "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:team/app:pull,push repository:other:pull\",error=insufficient_scope");
        Assert.Equal("https://auth.example/token", parameters["realm"]);
        Assert.Equal("registry.example", parameters["service"]);
        Assert.Equal("repository:team/app:pull,push repository:other:pull", parameters["scope"]);
        Assert.Equal("insufficient_scope", parameters["error"]);
        var challenge = new AuthChallenge("Bearer", parameters);
        Assert.Equal(["repository:team/app:pull,push", "repository:other:pull"], challenge.Scopes);
    }

    [Fact]
    public void Scopes_for_the_same_repository_merge_into_one_cache_key()
    {
        var merged = RegistryScope.Normalize(["repository:a:push", "repository:a:pull", "repository:b:pull", "repository:a:pull"]);
        Assert.Equal(["repository:a:pull,push", "repository:b:pull"], merged);
    }

    [Fact]
    public void Token_responses_accept_both_token_names_and_default_to_60_seconds()
    {
        var now = DateTimeOffset.UtcNow;
        var token = AccessToken.Parse("""{"access_token":"abc"}"""u8, now);
        Assert.Equal("abc", token.Value);
        Assert.InRange((token.ExpiresAt - now).TotalSeconds, 50, 60);
        var long_ = AccessToken.Parse("""{"token":"t","expires_in":3600,"refresh_token":"r"}"""u8, now);
        Assert.Equal("r", long_.RefreshToken);
        Assert.InRange((long_.ExpiresAt - now).TotalSeconds, 3500, 3600);
        Assert.Throws<InvalidDataException>(() => AccessToken.Parse("{}"u8, now));
    }

    [Fact]
    public async Task Login_is_stored_docker_style_and_keeps_the_rest_of_the_file()
    {
        var config = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(config, """{"auths":{"other.example":{"auth":"eDp5"}},"psFormat":"table {{.ID}}","credHelpers":{}}""");
        var store = new DockerConfigCredentialStore(config, []);

        await store.StoreAsync("127.0.0.1:5000", new RegistryCredentials("alice", "p@ss:word"), CancellationToken.None);

        var json = JsonNode.Parse(await File.ReadAllTextAsync(config))!;
        Assert.Equal("table {{.ID}}", (string?)json["psFormat"]);
        Assert.Equal("eDp5", (string?)json["auths"]!["other.example"]!["auth"]);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:p@ss:word")), (string?)json["auths"]!["127.0.0.1:5000"]!["auth"]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        }

        var read = await store.GetAsync("127.0.0.1:5000", CancellationToken.None);
        Assert.Equal(("alice", "p@ss:word"), (read!.Username, read.Password));
        Assert.Equal(("x", "y"), ((await store.GetAsync("other.example", CancellationToken.None))!.Username, (await store.GetAsync("other.example", CancellationToken.None))!.Password));

        Assert.Equal([config], await store.EraseAsync("127.0.0.1:5000", CancellationToken.None));
        Assert.Null(await store.GetAsync("127.0.0.1:5000", CancellationToken.None));
        Assert.NotNull(await store.GetAsync("other.example", CancellationToken.None));
    }

    [Fact]
    public async Task Podman_auth_files_and_url_keys_are_read_too()
    {
        var podman = Path.Combine(_dir, "auth.json");
        var auth = Convert.ToBase64String("bob:secret"u8);
        await File.WriteAllTextAsync(podman, "{\"auths\":{\"https://reg.example:5000/v2/\":{\"auth\":\"" + auth + "\"}}}");
        var store = new DockerConfigCredentialStore(Path.Combine(_dir, "missing", "config.json"), [podman]);
        var read = await store.GetAsync("reg.example:5000", CancellationToken.None);
        Assert.Equal(("bob", "secret"), (read!.Username, read.Password));
        Assert.Null(await store.GetAsync("reg.example", CancellationToken.None));
    }

    [Fact]
    public async Task Identity_tokens_round_trip()
    {
        var store = new DockerConfigCredentialStore(Path.Combine(_dir, "config.json"), []);
        await store.StoreAsync("idx.example", new RegistryCredentials("carol", null, "refresh-123"), CancellationToken.None);
        var read = await store.GetAsync("idx.example", CancellationToken.None);
        Assert.Equal("refresh-123", read!.IdentityToken);
        Assert.DoesNotContain("refresh-123", read.ToString());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
