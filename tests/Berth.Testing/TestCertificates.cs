using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Berth.Testing;

/// <summary>
/// A throw-away CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files in a directory:
/// <c>ca.crt</c> (the name skopeo and podman look for in a --cert-dir), <c>server.crt</c>, <c>server.key</c>, and
/// <c>other.key</c>, a key that belongs to no certificate.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>A directory holding only <c>ca.crt</c>, for a client's --cert-dir.</summary>
    public string CaDirectory => Path.Combine(Directory, "ca");

    public string CaCertificate => Path.Combine(CaDirectory, "ca.crt");

    public string ServerCertificate => Path.Combine(Directory, "server.crt");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string OtherKey => Path.Combine(Directory, "other.key");

    public static TestCertificates Create(string directory)
    {
        var certificates = new TestCertificates(directory);
        System.IO.Directory.CreateDirectory(certificates.CaDirectory);
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = DateTimeOffset.UtcNow.AddDays(1);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Berth test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = serverRequest.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(certificates.CaCertificate, ca.ExportCertificatePem());
        File.WriteAllText(certificates.ServerCertificate, server.ExportCertificatePem());
        File.WriteAllText(certificates.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificates.OtherKey, otherKey.ExportPkcs8PrivateKeyPem());
        return certificates;
    }

    /// <summary>A handler that trusts exactly the test CA (not the machine's store), as a client given ca.crt would.</summary>
    public SocketsHttpHandler TrustingHandler()
    {
        var root = X509CertificateLoader.LoadCertificateFromFile(CaCertificate);
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { root },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return handler;
    }
}
