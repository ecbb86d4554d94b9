using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Security.Tests;

/// <summary>
/// A token-auth Berth whose signing key the test generated (<c>--token-key</c>), so the tests can mint tokens with
/// the real key and change one claim at a time, and forge tokens every other way. Two private repositories hold one
/// image each.
/// </summary>
public sealed class ForgeryFixture : IAsyncLifetime
{
    public const string Alpha = "admin/alpha";
    public const string Beta = "admin/beta";

    private readonly string _keyDir = Path.Combine(Path.GetTempPath(), "berth-tests", $"key-{Guid.NewGuid():N}");

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string KeyId { get; private set; } = "";

    /// <summary>The JWKS document the server publishes.</summary>
    public JsonNode Jwks { get; private set; } = new JsonObject();

    public Site Site { get; private set; } = null!;

    public ImageFixture AlphaImage { get; } = new ImageFactory().CreateImage(layers: 1);

    public ImageFixture BetaImage { get; } = new ImageFactory().CreateImage(layers: 1);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_keyDir);
        var pem = Path.Combine(_keyDir, "signing.pem");
        await File.WriteAllTextAsync(pem, Key.ExportPkcs8PrivateKeyPem());
        Site = await Site.StartAsync(["--token-key", pem]);
        Jwks = await Site.Anonymous.GetJsonAsync(".well-known/jwks.json");
        KeyId = (string)Jwks["keys"]![0]!["kid"]!;
        await V2.PushImageAsync(Site.Admin.Registry, Alpha, AlphaImage, "v1");
        await V2.PushImageAsync(Site.Admin.Registry, Beta, BetaImage, "v1");
    }

    public async Task DisposeAsync()
    {
        await Site.DisposeAsync();
        Key.Dispose();
        Directory.Delete(_keyDir, recursive: true);
    }

    /// <summary>A token with the real key and kid; <paramref name="edit"/> changes the claims first.</summary>
    public string Mint(IEnumerable<AccessEntry> access, Action<JsonObject>? edit = null, string subject = "admin")
    {
        var claims = Jwt.Claims(subject, access);
        edit?.Invoke(claims);
        return Jwt.SignEs256(claims, Key, KeyId);
    }
}

/// <summary>
/// SPEC §8 / issue 3: forged, expired, not-yet-valid, wrong-audience, wrong-issuer and <c>alg: none</c> tokens, and
/// scope escalation. Every refused request gets 401 with a Bearer challenge and no content.
/// </summary>
public sealed class TokenForgeryTests(ForgeryFixture fixture) : IClassFixture<ForgeryFixture>
{
    private Site Site => fixture.Site;

    private HttpClient Http => Site.Http;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static AccessEntry PullAlpha => Jwt.Repository(ForgeryFixture.Alpha, "pull");

    [Fact]
    public void The_server_publishes_the_configured_key()
    {
        var parameters = fixture.Key.ExportParameters(false);
        var key = Assert.Single(fixture.Jwks["keys"]!.AsArray())!;
        Assert.Equal("EC", (string?)key["kty"]);
        Assert.Equal("P-256", (string?)key["crv"]);
        Assert.Equal(Base64UrlEncoder.Encode(parameters.Q.X), (string?)key["x"]);
        Assert.Equal(Base64UrlEncoder.Encode(parameters.Q.Y), (string?)key["y"]);
        Assert.Null(key["d"]); // never the private part
    }

    [Fact]
    public async Task A_token_minted_with_the_configured_key_is_accepted()
    {
        // The control for every test below: the same request with a well-made token succeeds.
        var token = fixture.Mint([PullAlpha]);
        await AssertServedAsync(token);
    }

    [Fact]
    public async Task Tokens_the_server_issues_carry_the_documented_claims()
    {
        var token = await Site.Admin.IssuedTokenAsync($"repository:{ForgeryFixture.Alpha}:pull");
        var header = Jwt.Header(token);
        Assert.Equal("ES256", (string?)header["alg"]);
        Assert.Equal(fixture.KeyId, (string?)header["kid"]);
        var claims = Jwt.Payload(token);
        Assert.Equal("berth-index", (string?)claims["iss"]);
        Assert.Equal("admin", (string?)claims["sub"]);
        Assert.Equal(Site.Service, (string?)claims["aud"]);
        foreach (var name in new[] { "exp", "nbf", "iat" })
        {
            Assert.InRange((long)claims[name]!, Now - 400, Now + 400);
        }

        Assert.True((long)claims["exp"]! - (long)claims["iat"]! >= 60);
        Assert.False(string.IsNullOrEmpty((string?)claims["jti"]));
        Assert.Equal([PullAlpha.ToString()], Jwt.Access(token).Select(a => a.ToString()));
        await AssertServedAsync(token);
    }

    public static TheoryData<string> Forgeries() =>
    [
        "alg none",
        "alg none without kid",
        "alg None with the genuine signature",
        "other EC key, same kid",
        "other EC key, fresh kid",
        "other EC key, no kid",
        "other EC key, its public key embedded as jwk header",
        "real key, wrong kid",
        "RS256 with a foreign RSA key, same kid",
        "HS256 keyed with the public key (SPKI DER)",
        "HS256 keyed with the public key (PEM)",
        "HS256 keyed with the public key (JWKS JSON)",
        "HS256 keyed with the public key (raw point)",
        "payload edited after signing",
        "signature truncated",
        "signature of another token",
        "not a JWT",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Forged_tokens_are_refused(string forgery)
    {
        var claims = Jwt.Claims("admin", [PullAlpha]);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = forgery switch
        {
            "alg none" => Jwt.Unsigned(claims, fixture.KeyId),
            "alg none without kid" => Jwt.Unsigned(claims, null),
            "alg None with the genuine signature" => ReplaceHeader(fixture.Mint([PullAlpha]), new JsonObject { ["alg"] = "None", ["typ"] = "JWT", ["kid"] = fixture.KeyId }),
            "other EC key, same kid" => Jwt.SignEs256(claims, other, fixture.KeyId),
            "other EC key, fresh kid" => Jwt.SignEs256(claims, other, "attacker-key-1"),
            "other EC key, no kid" => Jwt.SignEs256(claims, other, null),
            "other EC key, its public key embedded as jwk header" => EmbeddedJwk(claims, other),
            "real key, wrong kid" => Jwt.SignEs256(claims, fixture.Key, "not-the-kid"),
            "RS256 with a foreign RSA key, same kid" => SignRs256(claims, fixture.KeyId),
            "HS256 keyed with the public key (SPKI DER)" => Jwt.SignHs256(claims, fixture.Key.ExportSubjectPublicKeyInfo(), fixture.KeyId),
            "HS256 keyed with the public key (PEM)" => Jwt.SignHs256(claims, Encoding.ASCII.GetBytes(fixture.Key.ExportSubjectPublicKeyInfoPem()), fixture.KeyId),
            "HS256 keyed with the public key (JWKS JSON)" => Jwt.SignHs256(claims, Encoding.UTF8.GetBytes(fixture.Jwks["keys"]![0]!.ToJsonString()), fixture.KeyId),
            "HS256 keyed with the public key (raw point)" => Jwt.SignHs256(claims, RawPoint(fixture.Key), fixture.KeyId),
            "payload edited after signing" => ReplacePayload(fixture.Mint([Jwt.Repository(ForgeryFixture.Beta, "pull")]), claims),
            "signature truncated" => fixture.Mint([PullAlpha])[..^10],
            "signature of another token" => SwapSignature(Jwt.SignEs256(claims, other, fixture.KeyId), fixture.Mint([Jwt.Repository(ForgeryFixture.Beta, "pull")])),
            "not a JWT" => "berth_pat_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };

        await AssertRefusedAsync(token, "invalid_token");
    }

    public static TheoryData<string> BadClaims() =>
    [
        "expired 2 minutes ago",
        "expired a day ago",
        "not valid for another 2 minutes",
        "no exp",
        "wrong audience",
        "audience list without this service",
        "no audience",
        "wrong issuer",
        "no issuer",
    ];

    [Theory]
    [MemberData(nameof(BadClaims))]
    public async Task Tokens_with_the_real_key_but_bad_claims_are_refused(string defect)
    {
        var token = fixture.Mint([PullAlpha], claims =>
        {
            switch (defect)
            {
                case "expired 2 minutes ago":
                    // Beyond the 60 s of clock skew the server allows.
                    claims["iat"] = Now - 420;
                    claims["nbf"] = Now - 420;
                    claims["exp"] = Now - 120;
                    break;
                case "expired a day ago":
                    claims["iat"] = Now - 86_700;
                    claims["nbf"] = Now - 86_700;
                    claims["exp"] = Now - 86_400;
                    break;
                case "not valid for another 2 minutes":
                    claims["iat"] = Now + 120;
                    claims["nbf"] = Now + 120;
                    claims["exp"] = Now + 420;
                    break;
                case "no exp":
                    claims.Remove("exp");
                    break;
                case "wrong audience":
                    claims["aud"] = "some-other-registry";
                    break;
                case "audience list without this service":
                    claims["aud"] = new JsonArray("some-other-registry", "yet-another");
                    break;
                case "no audience":
                    claims.Remove("aud");
                    break;
                case "wrong issuer":
                    claims["iss"] = "evil-index";
                    break;
                case "no issuer":
                    claims.Remove("iss");
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(defect));
            }
        });

        await AssertRefusedAsync(token, "invalid_token");
    }

    [Fact]
    public async Task Clock_skew_of_less_than_a_minute_is_tolerated()
    {
        // Distribution allows 60 s; so must Berth, or clients with slightly wrong clocks break.
        await AssertServedAsync(fixture.Mint([PullAlpha], c =>
        {
            c["iat"] = Now - 330;
            c["nbf"] = Now - 330;
            c["exp"] = Now - 30;
        }));
        await AssertServedAsync(fixture.Mint([PullAlpha], c =>
        {
            c["iat"] = Now + 30;
            c["nbf"] = Now + 30;
            c["exp"] = Now + 330;
        }));
    }

    [Fact]
    public async Task A_token_for_one_repository_does_not_open_another()
    {
        var token = fixture.Mint([Jwt.Repository(ForgeryFixture.Beta, "pull", "push", "delete")]);
        await AssertRefusedAsync(token, "insufficient_scope");

        // Names that merely resemble the granted one do not match either.
        foreach (var lookalike in new[] { "admin/alph", "admin/alpha/", "admin", "ADMIN/alpha", "admin/alpha/x", "*" })
        {
            await AssertRefusedAsync(fixture.Mint([Jwt.Repository(lookalike, "pull")]), "insufficient_scope");
        }

        await AssertRefusedAsync(fixture.Mint([new AccessEntry("registry", "catalog", ["*"])]), "insufficient_scope");
        await AssertRefusedAsync(fixture.Mint([new AccessEntry("registry", ForgeryFixture.Alpha, ["pull"])]), "insufficient_scope");
    }

    [Fact]
    public async Task A_pull_token_cannot_push_or_delete()
    {
        var pull = fixture.Mint([PullAlpha]);
        var intruder = new ImageFactory().CreateImage(layers: 1);
        var manifestPath = $"v2/{ForgeryFixture.Alpha}/manifests/v1";

        var upload = await V2.PushBlobAsync(Http, ForgeryFixture.Alpha, intruder.Layers[0], pull);
        Assert.Equal(HttpStatusCode.Unauthorized, upload);
        using (var session = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{ForgeryFixture.Alpha}/blobs/uploads/", pull))
        {
            await AssertChallengeAsync(session, $"repository:{ForgeryFixture.Alpha}:pull,push", "insufficient_scope");
        }

        using (var put = await V2.SendAsync(Http, HttpMethod.Put, $"v2/{ForgeryFixture.Alpha}/manifests/v1", pull, V2.ManifestContent(intruder.Manifest)))
        {
            await AssertChallengeAsync(put, $"repository:{ForgeryFixture.Alpha}:pull,push", "insufficient_scope");
        }

        using (var delete = await V2.SendAsync(Http, HttpMethod.Delete, $"v2/{ForgeryFixture.Alpha}/manifests/{fixture.AlphaImage.Manifest.Digest}", pull))
        {
            await AssertChallengeAsync(delete, $"repository:{ForgeryFixture.Alpha}:delete", "insufficient_scope");
        }

        using (var deleteBlob = await V2.SendAsync(Http, HttpMethod.Delete, $"v2/{ForgeryFixture.Alpha}/blobs/{fixture.AlphaImage.Config.Digest}", pull))
        {
            await AssertChallengeAsync(deleteBlob, $"repository:{ForgeryFixture.Alpha}:delete", "insufficient_scope");
        }

        // A push token is not a delete token either.
        var push = fixture.Mint([Jwt.Repository(ForgeryFixture.Alpha, "pull", "push")]);
        using (var delete = await V2.SendAsync(Http, HttpMethod.Delete, $"v2/{ForgeryFixture.Alpha}/manifests/{fixture.AlphaImage.Manifest.Digest}", push))
        {
            await AssertChallengeAsync(delete, $"repository:{ForgeryFixture.Alpha}:delete", "insufficient_scope");
        }

        // Nothing changed.
        var admin = fixture.Mint([Jwt.Repository(ForgeryFixture.Alpha, "pull")]);
        var (status, body) = await V2.GetAsync(Http, manifestPath, admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.AlphaImage.Manifest.Bytes, body);
        Assert.Equal(HttpStatusCode.NotFound, (await V2.GetAsync(Http, $"v2/{ForgeryFixture.Alpha}/blobs/{intruder.Layers[0].Digest}", admin)).Status);
        Assert.Equal(HttpStatusCode.OK, (await V2.GetAsync(Http, $"v2/{ForgeryFixture.Alpha}/manifests/{fixture.AlphaImage.Manifest.Digest}", admin)).Status);
    }

    [Fact]
    public async Task Mounting_from_a_repository_the_token_cannot_pull_copies_nothing()
    {
        // Push rights on beta, nothing on alpha: a mount of alpha's layer must not make it readable through beta. The
        // holder must really have those rights (the registry also asks what the account may do now).
        var layer = fixture.AlphaImage.Layers[0];
        var mallory = await Site.CreateUserAsync("mallory");
        using (var granted = await Site.Admin.SendAsync(HttpMethod.Put, $"api/v1/repositories/{ForgeryFixture.Beta}/-/collaborators/users/{mallory.Name}", new JsonObject { ["level"] = "write" }))
        {
            await Expect.StatusAsync(granted, HttpStatusCode.NoContent);
        }

        var token = fixture.Mint([Jwt.Repository(ForgeryFixture.Beta, "pull", "push")], subject: mallory.Name!);
        using (var mount = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{ForgeryFixture.Beta}/blobs/uploads/?mount={layer.Digest}&from={ForgeryFixture.Alpha}", token, V2.Octets([])))
        {
            Assert.NotEqual(HttpStatusCode.Created, mount.StatusCode);
        }

        var (status, body) = await V2.GetAsync(Http, $"v2/{ForgeryFixture.Beta}/blobs/{layer.Digest}", token);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.False(body.AsSpan().IndexOf(layer.Bytes.AsSpan(0, 64)) >= 0, "the layer's bytes were served");
    }

    public static TheoryData<string, string, string?> Challenges() => new()
    {
        { "GET", "v2/", null },
        { "GET", "v2/_catalog", "registry:catalog:*" },
        { "GET", $"v2/{ForgeryFixture.Alpha}/tags/list", $"repository:{ForgeryFixture.Alpha}:pull" },
        { "GET", $"v2/{ForgeryFixture.Alpha}/manifests/v1", $"repository:{ForgeryFixture.Alpha}:pull" },
        { "HEAD", $"v2/{ForgeryFixture.Alpha}/manifests/v1", $"repository:{ForgeryFixture.Alpha}:pull" },
        { "GET", $"v2/{ForgeryFixture.Alpha}/blobs/sha256:{new string('a', 64)}", $"repository:{ForgeryFixture.Alpha}:pull" },
        { "GET", $"v2/{ForgeryFixture.Alpha}/referrers/sha256:{new string('a', 64)}", $"repository:{ForgeryFixture.Alpha}:pull" },
        { "POST", $"v2/{ForgeryFixture.Alpha}/blobs/uploads/", $"repository:{ForgeryFixture.Alpha}:pull,push" },
        { "PUT", $"v2/{ForgeryFixture.Alpha}/manifests/v2", $"repository:{ForgeryFixture.Alpha}:pull,push" },
        { "DELETE", $"v2/{ForgeryFixture.Alpha}/manifests/v1", $"repository:{ForgeryFixture.Alpha}:delete" },
        { "DELETE", $"v2/{ForgeryFixture.Alpha}/blobs/sha256:{new string('a', 64)}", $"repository:{ForgeryFixture.Alpha}:delete" },
        { "GET", "v2/nobody/never-created/tags/list", "repository:nobody/never-created:pull" },
    };

    [Theory]
    [MemberData(nameof(Challenges))]
    public async Task The_challenge_names_exactly_the_scope_the_request_needs(string method, string path, string? scope)
    {
        using var response = await V2.SendAsync(Http, new HttpMethod(method), path, token: null, method is "POST" or "PUT" ? V2.Octets([]) : null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var expected = $"Bearer realm=\"{Site.Realm}\",service=\"{Site.Service}\"" + (scope is null ? "" : $",scope=\"{scope}\"");
        Assert.Equal(expected, Expect.Challenge(response));
        Assert.Equal("registry/2.0", Assert.Single(response.Headers.GetValues("Docker-Distribution-API-Version")));
        if (method != "HEAD")
        {
            Assert.Contains("UNAUTHORIZED", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>The manifest and a blob of alpha are served with <paramref name="token"/>.</summary>
    private async Task AssertServedAsync(string token)
    {
        var (status, body) = await V2.GetAsync(Http, $"v2/{ForgeryFixture.Alpha}/manifests/v1", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.AlphaImage.Manifest.Bytes, body);
        (status, body) = await V2.GetAsync(Http, $"v2/{ForgeryFixture.Alpha}/blobs/{fixture.AlphaImage.Config.Digest}", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.AlphaImage.Config.Bytes, body);
    }

    /// <summary>Manifest, blob and tag list of alpha are refused with 401, a challenge naming the error, and no content.</summary>
    private async Task AssertRefusedAsync(string token, string error)
    {
        foreach (var (path, scope, secret) in new[]
        {
            ($"v2/{ForgeryFixture.Alpha}/manifests/v1", $"repository:{ForgeryFixture.Alpha}:pull", fixture.AlphaImage.Manifest.Bytes),
            ($"v2/{ForgeryFixture.Alpha}/manifests/{fixture.AlphaImage.Manifest.Digest}", $"repository:{ForgeryFixture.Alpha}:pull", fixture.AlphaImage.Manifest.Bytes),
            ($"v2/{ForgeryFixture.Alpha}/blobs/{fixture.AlphaImage.Config.Digest}", $"repository:{ForgeryFixture.Alpha}:pull", fixture.AlphaImage.Config.Bytes),
            ($"v2/{ForgeryFixture.Alpha}/tags/list", $"repository:{ForgeryFixture.Alpha}:pull", "\"v1\""u8.ToArray()),
        })
        {
            using var response = await V2.SendAsync(Http, HttpMethod.Get, path, token);
            var body = await response.Content.ReadAsByteArrayAsync();
            await AssertChallengeAsync(response, scope, error);
            Assert.True(body.AsSpan().IndexOf(secret) < 0, $"GET {path} leaked content with a refused token");
        }
    }

    private async Task AssertChallengeAsync(HttpResponseMessage response, string scope, string error)
    {
        await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal($"Bearer realm=\"{Site.Realm}\",service=\"{Site.Service}\",scope=\"{scope}\",error=\"{error}\"", Expect.Challenge(response));
    }

    private static string ReplaceHeader(string token, JsonObject header)
    {
        var parts = token.Split('.');
        return $"{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{parts[1]}.{parts[2]}";
    }

    private static string ReplacePayload(string token, JsonObject claims)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
    }

    private static string SwapSignature(string token, string donor) =>
        token[..token.LastIndexOf('.')] + donor[donor.LastIndexOf('.')..];

    private static byte[] RawPoint(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    private static string SignRs256(JsonObject claims, string kid)
    {
        using var rsa = RSA.Create(2048);
        return Jwt.Sign(claims, new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256));
    }

    private static string EmbeddedJwk(JsonObject claims, ECDsa attacker)
    {
        var q = attacker.ExportParameters(false).Q;
        var jwk = new Dictionary<string, object>
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(q.X),
            ["y"] = Base64UrlEncoder.Encode(q.Y),
        };
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(
            claims.ToJsonString(),
            new SigningCredentials(new ECDsaSecurityKey(attacker), SecurityAlgorithms.EcdsaSha256),
            new Dictionary<string, object> { ["jwk"] = jwk });
    }
}
