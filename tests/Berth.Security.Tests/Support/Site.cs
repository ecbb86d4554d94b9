using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Security.Tests.Support;

/// <summary>
/// A Berth process serving the index and the token service (and, unless its role says otherwise, the registry),
/// with the accounts a test makes on it. Everything goes over loopback HTTP, as users see it.
/// </summary>
public sealed class Site : IAsyncDisposable
{
    public const string AdminPassword = "Adm1nPassw0rd!";
    public const string UserPassword = "Us3rPassw0rd!";
    public const string Service = "berth-registry";

    private readonly ConcurrentBag<IDisposable> _owned = [];
    private readonly Lazy<HttpClient> _http;

    private Site(RegistryServer server)
    {
        Server = server;
        _http = new(() => NewClient());
        Admin = new Actor(this, "admin", AdminPassword);
        Anonymous = new Actor(this, null, null);
    }

    public RegistryServer Server { get; }

    public Uri BaseUri => Server.BaseUri;

    public string HostPort => Server.HostPort;

    /// <summary>The realm the site's challenges name.</summary>
    public string Realm => $"http://{HostPort}/token";

    public Actor Admin { get; }

    public Actor Anonymous { get; }

    /// <summary>A shared plain client (no credentials).</summary>
    public HttpClient Http => _http.Value;

    /// <summary>
    /// Starts Berth with the admin password set and bcrypt at its lowest cost (every Basic login pays it; the
    /// cost is not what these tests are about). <c>--auth token</c> unless <paramref name="extraArgs"/> names an
    /// auth mode or <paramref name="defaultAuth"/> asks for the role's default.
    /// </summary>
    public static async Task<Site> StartAsync(IReadOnlyList<string>? extraArgs = null, bool defaultAuth = false, string readyPath = "v2/")
    {
        extraArgs ??= [];
        List<string> args = ["--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4", .. extraArgs];
        if (!defaultAuth && !extraArgs.Contains("--auth"))
        {
            args.AddRange(["--auth", "token"]);
        }

        var server = await RegistryServer.StartAsync(extraArgs: args, readyPath: readyPath, defaultAuth: defaultAuth);
        return new Site(server);
    }

    /// <summary>A fresh plain client for this site (no credentials, no redirects followed).</summary>
    public HttpClient NewClient(HttpMessageHandler? handler = null)
    {
        var client = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = BaseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _owned.Add(client);
        return client;
    }

    /// <summary>An actor for an existing account.</summary>
    public Actor As(string name, string password) => new(this, name, password);

    /// <summary>Signs up a new account <c>&lt;prefix&gt;&lt;6 hex&gt;</c> (as admin, so sign-up settings do not matter).</summary>
    public async Task<Actor> CreateUserAsync(string prefix)
    {
        var name = $"{prefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        using var response = await Admin.SendAsync(HttpMethod.Post, "api/v1/users", new JsonObject { ["name"] = name, ["password"] = UserPassword });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return new Actor(this, name, UserPassword);
    }

    internal void Own(IDisposable disposable) => _owned.Add(disposable);

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _owned)
        {
            disposable.Dispose();
        }

        await Server.DisposeAsync();
    }
}

/// <summary>A caller: an account with its password (or a personal access token), or anonymous.</summary>
public sealed class Actor
{
    private readonly Site _site;
    private readonly Lazy<HttpClient> _http;
    private readonly Lazy<HttpClient> _registry;

    internal Actor(Site site, string? name, string? secret)
    {
        _site = site;
        Name = name;
        Secret = secret;
        _http = new(() => site.NewClient());
        _registry = new(() => site.NewClient(new TokenAuthHandler(name, secret)));
    }

    /// <summary>The account name; null for anonymous.</summary>
    public string? Name { get; }

    /// <summary>Password or personal access token.</summary>
    public string? Secret { get; }

    public bool IsAnonymous => Name is null;

    /// <summary>A client for <c>/v2</c> that does the Docker token handshake with this actor's credentials.</summary>
    public HttpClient Registry => _registry.Value;

    public Site Site => _site;

    /// <summary>The same account, logging in with another secret (e.g. a personal access token).</summary>
    public Actor WithSecret(string secret) => new(_site, Name, secret);

    public AuthenticationHeaderValue? Basic =>
        Name is null ? null : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Name}:{Secret}")));

    /// <summary>A request with this actor's Basic credentials (none for anonymous) and an optional JSON body.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json.Content(body) };
        request.Headers.Authorization = Basic;
        return SendAndDisposeRequestAsync(request);
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary><c>GET /token</c> for <paramref name="scopes"/> with this actor's credentials.</summary>
    public async Task<TokenAnswer> TokenAsync(params string[] scopes)
    {
        var query = new StringBuilder($"token?service={Site.Service}");
        foreach (var scope in scopes)
        {
            query.Append("&scope=").Append(Uri.EscapeDataString(scope));
        }

        using var response = await SendAsync(HttpMethod.Get, query.ToString());
        return await TokenAnswer.ReadAsync(response);
    }

    /// <summary>A token for <paramref name="scopes"/> that must be issued (200), whatever it grants.</summary>
    public async Task<string> IssuedTokenAsync(params string[] scopes)
    {
        var answer = await TokenAsync(scopes);
        Assert.True(answer.Status == HttpStatusCode.OK, $"/token for {Name ?? "anonymous"} answered {(int)answer.Status}: {answer.Body}");
        return answer.Token!;
    }

    /// <summary>Creates a personal access token through the API; returns its id and secret.</summary>
    public async Task<(long Id, string Secret)> CreateAccessTokenAsync(params string[] scopes)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/v1/user/tokens", new JsonObject
        {
            ["name"] = $"t-{Guid.NewGuid():N}"[..14],
            ["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]),
        });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return ((long)json["id"]!, (string)json["token"]!);
    }

    public override string ToString() => Name ?? "anonymous";

    private async Task<HttpResponseMessage> SendAndDisposeRequestAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await _http.Value.SendAsync(request);
        }
    }
}
