using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>One Berth serving HTTPS with a certificate from a CA made for the test, token auth, a known admin password.</summary>
public sealed class TlsServerFixture : IAsyncLifetime
{
    public const string Password = "Adm1nPassw0rd!";

    private readonly DirectoryInfo _certificateDir = Directory.CreateTempSubdirectory("berth-tls-");

    public RegistryServer Server { get; private set; } = null!;

    public TestCertificates Certificates { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Certificates = TestCertificates.Create(_certificateDir.FullName);
        Server = await RegistryServer.StartAsync(
            extraArgs: ["--tls-cert", Certificates.ServerCertificate, "--tls-key", Certificates.ServerKey, "--admin-password", Password, "--Berth:BcryptWorkFactor", "4"],
            defaultAuth: true,
            scheme: "https");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        _certificateDir.Delete(recursive: true);
    }
}

/// <summary>
/// Issue 14: Berth serving HTTPS itself with <c>--tls-cert/--tls-key</c>, token auth as users run it: skopeo given the
/// CA logs in through the https:// token realm, pushes and pulls back the same digests; skopeo without the CA refuses
/// the server's certificate.
/// </summary>
public sealed class TlsCertificateTests(TlsServerFixture fixture) : IClassFixture<TlsServerFixture>, IDisposable
{
    private const string Password = TlsServerFixture.Password;

    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    private RegistryServer Server => fixture.Server;

    private TestCertificates Certificates => fixture.Certificates;

    [Fact]
    public async Task Skopeo_trusting_the_CA_pushes_and_pulls_over_https_with_token_login()
    {
        var image = _factory.CreateImage(layers: 2);
        var remote = $"docker://{Server.HostPort}/admin/tls-{Guid.NewGuid().ToString("N")[..8]}:v1";
        var creds = $"admin:{Password}";

        // The challenge sends clients to the token endpoint over TLS too.
        using (var http = new HttpClient(Certificates.TrustingHandler()) { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) })
        {
            using var response = await http.GetAsync("v2/");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains($"realm=\"https://{Server.HostPort}/token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-cert-dir", Certificates.CaDirectory, "--dest-creds", creds,
            _tools.NewLayout((image, "v1")).Reference("v1"), remote)).EnsureSuccess();

        var inspect = JsonNode.Parse((await _tools.SkopeoAsync("inspect", "--cert-dir", Certificates.CaDirectory, "--creds", creds, remote)).EnsureSuccess().Stdout)!;
        Assert.Equal(image.Manifest.Digest, (string?)inspect["Digest"]);

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-cert-dir", Certificates.CaDirectory, "--src-creds", creds,
            remote, back.Reference("v1"))).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, "v1", image);
    }

    [Fact]
    public async Task Skopeo_without_the_CA_refuses_the_certificate()
    {
        var image = _factory.CreateImage(layers: 1);
        var remote = $"docker://{Server.HostPort}/admin/tls-{Guid.NewGuid().ToString("N")[..8]}:v1";
        var emptyCertDir = Directory.CreateDirectory(_tools.NewPath("no-ca")).FullName;

        var result = await _tools.SkopeoAsync("copy", "--dest-cert-dir", emptyCertDir, "--dest-creds", $"admin:{Password}",
            _tools.NewLayout((image, "v1")).Reference("v1"), remote);

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("certificate signed by unknown authority", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _tools.Dispose();
}
