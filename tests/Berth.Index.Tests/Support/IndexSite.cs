using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Index.Tests.Support;

/// <summary>
/// One Berth process (all-in-one, token auth) per test class, driven over loopback HTTP. bcrypt runs at its lowest
/// cost: every Basic login pays it, and its cost is not what these tests are about.
/// </summary>
public class IndexSite : IAsyncLifetime
{
    public const string AdminPassword = "Adm1nPassw0rd!";
    public const string UserPassword = "Us3rPassw0rd!";
    public const string Service = "berth-registry";

    private RegistryServer? _server;
    private HttpClient? _http;

    public RegistryServer Server => _server ?? throw new InvalidOperationException("not started");

    public HttpClient Http => _http ?? throw new InvalidOperationException("not started");

    public ApiCaller Anonymous => new(Http, null, null);

    public ApiCaller Admin => new(Http, "admin", AdminPassword);

    /// <summary>Extra server arguments for a subclass (e.g. sign-up off).</summary>
    protected virtual IReadOnlyList<string> ExtraArgs => [];

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(extraArgs:
            ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4", .. ExtraArgs]);
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = _server.BaseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public ApiCaller As(string user, string secret) => new(Http, user, secret);

    /// <summary>A new account <c>&lt;prefix&gt;&lt;6 hex&gt;</c>, created by the admin.</summary>
    public async Task<ApiCaller> CreateUserAsync(string prefix = "u")
    {
        var name = UniqueName(prefix);
        var response = await Admin.SendAsync(HttpMethod.Post, "api/v1/users", new JsonObject { ["name"] = name, ["password"] = UserPassword });
        response.Expect(HttpStatusCode.Created);
        return As(name, UserPassword);
    }

    public static string UniqueName(string prefix) => $"{prefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>A registry token from <c>GET /token</c> with Basic credentials.</summary>
    public async Task<string> RegistryTokenAsync(ApiCaller caller, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"token?service={Service}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = caller.Authorization;
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/token → {(int)response.StatusCode}: {body}");
        return (string)JsonNode.Parse(body)!["token"]!;
    }

    /// <summary>An HTTP client for <c>/v2</c> carrying a registry token.</summary>
    public HttpClient RegistryClient(string token)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = Server.BaseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>The same, with sign-up turned off.</summary>
public sealed class SignupDisabledSite : IndexSite
{
    protected override IReadOnlyList<string> ExtraArgs => ["--signup", "false"];
}
