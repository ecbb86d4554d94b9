using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Client.Auth;
using Berth.Client.Registry;
using Berth.Mirror.Tests.Support;

namespace Berth.Mirror.Tests;

/// <summary>
/// An origin (no auth) and a mirror with <c>--auth token</c> reaching it under two names: <c>public.test</c> without
/// credentials (pull policy <c>anyone</c> by default) and <c>private.test</c> with credentials (<c>users</c> by default);
/// other names are the mirror's local repositories. The two start at once (the mirror needs only the origin's address).
/// </summary>
public sealed class MirrorTokenAuthFixture : IAsyncLifetime
{
    public const string AdminPassword = "Adm1nPassw0rd!";
    public const string UserPassword = "Us3rPassw0rd!";

    private readonly List<IDisposable> _owned = [];

    public RegistryServer OriginServer { get; private set; } = null!;

    public RegistryServer Mirror { get; private set; } = null!;

    public Origin Origin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var originPort = RegistryServer.FreeLoopbackPort();
        var origin = RegistryServer.StartAsync(port: originPort);
        var mirror = RegistryServer.StartAsync(extraArgs:
        [
            "--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4",
            "--mirror", $"public.test=http://127.0.0.1:{originPort}",
            "--mirror", $"private.test=http://127.0.0.1:{originPort}",
            // The origin asks for no credentials; that the mirror has them is what makes this upstream's default "users".
            "--Berth:Mirrors:cli1:Username", "mirror-bot", "--Berth:Mirrors:cli1:Password", "unused",
        ]);
        try
        {
            await Task.WhenAll(origin, mirror);
        }
        finally
        {
            OriginServer = origin.IsCompletedSuccessfully ? origin.Result : null!;
            Mirror = mirror.IsCompletedSuccessfully ? mirror.Result : null!;
        }

        Origin = new Origin(OriginServer);
    }

    /// <summary>A <c>/v2</c> client doing the token handshake with these credentials (none: anonymous).</summary>
    public HttpClient Registry(string? user = null, string? password = null)
    {
        var client = new HttpClient(new TokenAuthHandler(user, password)) { BaseAddress = Mirror.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        _owned.Add(client);
        return client;
    }

    /// <summary>A plain client for the REST API and the web UI, with Basic credentials when given.</summary>
    public HttpClient Plain(string? user = null, string? password = null)
    {
        var client = new HttpClient { BaseAddress = Mirror.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        _owned.Add(client);
        return client;
    }

    /// <summary>Creates a non-admin account on the mirror (as its admin); returns its name.</summary>
    public async Task<string> CreateUserAsync(string prefix)
    {
        var name = $"{prefix}{Guid.NewGuid():N}"[..12];
        using var body = new StringContent(new JsonObject { ["name"] = name, ["password"] = UserPassword }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Plain("admin", AdminPassword).PostAsync("api/v1/users", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _owned)
        {
            disposable.Dispose();
        }

        Origin?.Dispose();
        if (Mirror is not null)
        {
            await Mirror.DisposeAsync();
        }

        if (OriginServer is not null)
        {
            await OriginServer.DisposeAsync();
        }
    }
}

/// <summary>
/// Who may pull through a mirror with token auth (each upstream's <c>Pull</c> policy, decided by the index's permission
/// service, cached or not), the source a cached repository records, and what stays refused or private beside it.
/// </summary>
public sealed class MirrorTokenAuthTests(MirrorTokenAuthFixture site) : IClassFixture<MirrorTokenAuthFixture>
{
    private static string NewName(string prefix) => $"team/{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Anonymous_pulls_an_uncached_then_cached_image_of_an_anyone_upstream_and_the_repository_shows_its_source()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = NewName("pub");
        await site.Origin.PushAsync(repository, image, "v1");
        var mirrored = $"public.test/{repository}";
        var anonymous = site.Registry();

        // Not cached: the token service grants an anonymous pull on a name that does not exist yet (the pull caches it).
        await ExpectImageAsync(anonymous, mirrored, image);
        // Cached: still anonymous, now from the mirror's own storage; Berth.Client without credentials as well.
        await ExpectImageAsync(anonymous, mirrored, image);
        using (var clients = RegistryClients.Create(new RegistryClientOptions { Credentials = AnonymousCredentialProvider.Instance }))
        {
            var fetched = await clients.ForRegistry(site.Mirror.HostPort).GetManifestAsync(mirrored, image.Manifest.Digest, CancellationToken.None);
            Assert.Equal(image.Manifest.Digest, fetched.Digest.ToString());
        }

        var plain = site.Plain();
        var view = await RepositoryViewAsync(plain, mirrored);
        Assert.Equal("public.test", (string?)view["mirrorSource"]);
        Assert.Equal("public", (string?)view["visibility"]);
        var page = await plain.GetStringAsync($"r/{mirrored}");
        Assert.Contains($"Mirror of {mirrored}", page, StringComparison.Ordinal);
        Assert.Contains(mirrored, await CatalogAsync(anonymous));
        Assert.Contains("\"mirrorSource\"", await plain.GetStringAsync("api/v1/openapi.json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_users_upstream_refuses_anonymous_callers_and_serves_a_signed_in_account()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = NewName("priv");
        await site.Origin.PushAsync(repository, image, "v1");
        var mirrored = $"private.test/{repository}";
        var anonymous = site.Registry();

        // Not cached, then cached by an account: anonymous is challenged both times (401), never served.
        using (var refused = await Pull.GetAsync(anonymous, $"/v2/{mirrored}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var user = await site.CreateUserAsync("reader");
        var signedIn = site.Registry(user, MirrorTokenAuthFixture.UserPassword);
        await ExpectImageAsync(signedIn, mirrored, image);
        await ExpectImageAsync(signedIn, mirrored, image);
        using (var refused = await Pull.GetAsync(anonymous, $"/v2/{mirrored}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var blob = await Pull.GetAsync(anonymous, $"/v2/{mirrored}/blobs/{image.Layers[0].Digest}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, blob.StatusCode);
        }

        using (var hidden = await site.Plain().GetAsync($"api/v1/repositories/{mirrored}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        var view = await RepositoryViewAsync(site.Plain(user, MirrorTokenAuthFixture.UserPassword), mirrored);
        Assert.Equal("private.test", (string?)view["mirrorSource"]);
        Assert.Equal("private", (string?)view["visibility"]);
        Assert.DoesNotContain(mirrored, await CatalogAsync(anonymous));
        Assert.Contains(mirrored, await CatalogAsync(signedIn));
    }

    [Fact]
    public async Task An_anonymous_token_from_a_wider_policy_does_not_read_a_users_upstream()
    {
        // What an anonymous client holds if the mirror was restarted with Pull=users after issuing it under "anyone":
        // a genuine token (the mirror's key) granting pull. The registry applies the policy on every request.
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = NewName("old");
        await site.Origin.PushAsync(repository, image, "v1");
        var kid = IssuedTokens.KeyId(await TokenAsync(site.Plain(), $"repository:public.test/{repository}:pull"));
        var http = site.Plain();
        foreach (var (name, expected) in new[] { ($"public.test/{repository}", HttpStatusCode.OK), ($"private.test/{repository}", HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/v1");
            request.Headers.Accept.ParseAdd(Pull.Accept);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IssuedTokens.Sign(site.Mirror, kid, "", name, "pull"));
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == expected, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_site_admin_gets_only_pull_on_a_mirrored_name_and_its_pushes_mounts_and_deletes_are_denied()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = NewName("ro");
        await site.Origin.PushAsync(repository, image, "v1");
        var mirrored = $"public.test/{repository}";
        var admin = site.Registry("admin", MirrorTokenAuthFixture.AdminPassword);
        await ExpectImageAsync(admin, mirrored, image);

        // The token service: pull, whatever a site admin asks for, cached or not.
        var plain = site.Plain("admin", MirrorTokenAuthFixture.AdminPassword);
        foreach (var name in new[] { mirrored, $"public.test/{NewName("absent")}" })
        {
            var access = (await TokenAccessAsync(plain, $"repository:{name}:pull,push,delete")).Single(a => (string?)a!["name"] == name)!;
            Assert.Equal(["pull"], access["actions"]!.AsArray().Select(a => (string)a!).ToArray());
        }

        var layer = image.Layers[0];
        using (var upload = await admin.PostAsync($"/v2/{mirrored}/blobs/uploads/", null))
        {
            await ExpectDeniedAsync(upload);
        }

        using (var mount = await admin.PostAsync($"/v2/{mirrored}/blobs/uploads/?mount={layer.Digest}&from=admin/elsewhere", null))
        {
            await ExpectDeniedAsync(mount);
        }

        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/v2/{mirrored}/manifests/v2") { Content = new ByteArrayContent(image.Manifest.Bytes) })
        {
            put.Content.Headers.ContentType = new MediaTypeHeaderValue(image.Manifest.MediaType);
            using var response = await admin.SendAsync(put);
            await ExpectDeniedAsync(response);
        }

        using (var delete = await admin.DeleteAsync($"/v2/{mirrored}/manifests/{image.Manifest.Digest}"))
        {
            await ExpectDeniedAsync(delete);
        }

        using (var delete = await admin.DeleteAsync($"/v2/{mirrored}/blobs/{layer.Digest}"))
        {
            await ExpectDeniedAsync(delete);
        }

        await ExpectImageAsync(admin, mirrored, image);
    }

    [Fact]
    public async Task A_private_local_repository_beside_the_mirror_stays_invisible_to_others()
    {
        var owner = await site.CreateUserAsync("owner");
        var other = await site.CreateUserAsync("other");
        var image = new ImageFactory().CreateImage(layers: 1);
        var repository = $"{owner}/secret";
        using (var pusher = new Origin(site.Mirror, new RegistryCredentials(owner, MirrorTokenAuthFixture.UserPassword)))
        {
            await pusher.PushAsync(repository, image, "v1");
        }

        await ExpectImageAsync(site.Registry(owner, MirrorTokenAuthFixture.UserPassword), repository, image);
        foreach (var (client, plain) in new[]
                 {
                     (site.Registry(), site.Plain()),
                     (site.Registry(other, MirrorTokenAuthFixture.UserPassword), site.Plain(other, MirrorTokenAuthFixture.UserPassword)),
                 })
        {
            using (var manifest = await Pull.GetAsync(client, $"/v2/{repository}/manifests/v1"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, manifest.StatusCode);
            }

            using (var view = await plain.GetAsync($"api/v1/repositories/{repository}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, view.StatusCode);
            }

            Assert.DoesNotContain(repository, await CatalogAsync(client));
        }
    }

    /// <summary>The image's manifest by tag and its layer, exactly the origin's bytes.</summary>
    private static async Task ExpectImageAsync(HttpClient client, string repository, ImageFixture image)
    {
        using var manifest = await Pull.GetAsync(client, $"/v2/{repository}/manifests/v1");
        Assert.True(manifest.StatusCode == HttpStatusCode.OK, $"manifest of {repository}: {(int)manifest.StatusCode} {await manifest.Content.ReadAsStringAsync()}");
        Assert.Equal(image.Manifest.Digest, Pull.Sha256(await manifest.Content.ReadAsByteArrayAsync()));
        var layer = image.Layers[0];
        using var blob = await Pull.GetAsync(client, $"/v2/{repository}/blobs/{layer.Digest}");
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal(layer.Digest, Pull.Sha256(await blob.Content.ReadAsByteArrayAsync()));
    }

    private static async Task ExpectDeniedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Contains("DENIED", body, StringComparison.Ordinal);
    }

    private static async Task<JsonNode> RepositoryViewAsync(HttpClient client, string repository)
    {
        using var response = await client.GetAsync($"api/v1/repositories/{repository}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{repository}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The <c>access</c> claim of the token <c>/token</c> issues for <paramref name="scope"/>.</summary>
    private static async Task<JsonArray> TokenAccessAsync(HttpClient client, string scope) =>
        IssuedTokens.Payload(await TokenAsync(client, scope))["access"]!.AsArray();

    private static async Task<string> TokenAsync(HttpClient client, string scope)
    {
        using var response = await client.GetAsync($"token?service=berth-registry&scope={Uri.EscapeDataString(scope)}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token for {scope}: {(int)response.StatusCode} {body}");
        return (string)JsonNode.Parse(body)!["token"]!;
    }

    private static async Task<IReadOnlyList<string>> CatalogAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v2/_catalog?n=1000");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"catalog: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["repositories"]!.AsArray().Select(n => (string)n!).ToList();
    }
}
