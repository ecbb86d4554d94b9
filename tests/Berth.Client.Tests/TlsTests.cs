using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Berth.Client.Registry;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// A registry behind TLS with a self-signed certificate (a name that is not loopback, so HTTPS is used; connections
/// are routed to the test's listener): refused with an error that names the fix, accepted with --insecure.
/// </summary>
public sealed class TlsTests(Registries registries) : IClassFixture<Registries>
{
    private const string Host = "registry.berth.test";

    [Fact]
    public async Task A_self_signed_registry_is_refused_with_a_hint_and_accepted_when_insecure()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        using var certificate = SelfSigned(Host);
        await using var proxy = await RegistryProxy.StartAsync(server.BaseUri, certificate: certificate);
        var port = int.Parse(proxy.HostPort.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var registry = $"{Host}:{port}";
        Assert.Equal("https", RegistryClients.BaseUriFor(registry, plainHttp: false).Scheme);

        using (var strict = RegistryClients.Create(new RegistryClientOptions { Transport = RoutedToLoopback(insecure: false), Retry = Clients.FastRetry }))
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => strict.ForRegistry(registry).PingAsync(CancellationToken.None));
            Assert.Equal(RegistryErrorKind.Tls, error.Kind);
            Assert.Contains("--insecure", error.Message);
        }

        using var insecure = RegistryClients.Create(new RegistryClientOptions { Transport = RoutedToLoopback(insecure: true), Retry = Clients.FastRetry });
        await insecure.ForRegistry(registry).PingAsync(CancellationToken.None);
    }

    /// <summary>What <c>--insecure</c> configures, plus a connect callback that sends every name to 127.0.0.1.</summary>
    private static SocketsHttpHandler RoutedToLoopback(bool insecure)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        if (insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        return handler;
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
