using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Index.Tokens;

/// <summary>
/// The index's token signing key (EC P-256, ES256). Loaded from a configured PEM, or generated once and kept in
/// the data directory, so tokens stay valid across restarts; all nodes of a cluster must share it.
/// The <c>kid</c> is the key's RFC 7638 thumbprint.
/// </summary>
public sealed class SigningKeys
{
    private SigningKeys(ECDsa key)
    {
        var parameters = key.ExportParameters(false);
        var x = Base64UrlEncoder.Encode(parameters.Q.X);
        var y = Base64UrlEncoder.Encode(parameters.Q.Y);
        KeyId = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));
        SigningKey = new ECDsaSecurityKey(key) { KeyId = KeyId };
        PublicJwk = new JsonWebKey
        {
            Kty = "EC",
            Crv = "P-256",
            X = x,
            Y = y,
            Kid = KeyId,
            Use = "sig",
            Alg = SecurityAlgorithms.EcdsaSha256,
        };
    }

    public string KeyId { get; }

    public ECDsaSecurityKey SigningKey { get; }

    public JsonWebKey PublicJwk { get; }

    public static SigningKeys LoadOrCreate(string path)
    {
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
            {
                throw new InvalidOperationException($"the token signing key {path} must be an EC P-256 key");
            }
        }
        else
        {
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var pem = key.ExportPkcs8PrivateKeyPem();
            // Owner-only from the first byte: the key signs every access token.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, create);
            stream.Write(Encoding.ASCII.GetBytes(pem));
        }

        return new SigningKeys(key);
    }

    /// <summary>The JWKS document (<c>/.well-known/jwks.json</c>) registries use to verify tokens.</summary>
    public string JwksJson() =>
        $"{{\"keys\":[{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{PublicJwk.X}\",\"y\":\"{PublicJwk.Y}\",\"kid\":\"{KeyId}\",\"use\":\"sig\",\"alg\":\"ES256\"}}]}}";
}
