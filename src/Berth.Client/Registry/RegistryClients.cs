using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Berth.Client.Auth;
using Berth.Client.Http;
using Berth.Client.References;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Client.Registry;

/// <summary>How to reach registries.</summary>
public sealed class RegistryClientOptions
{
    /// <summary>Speak plain HTTP to every registry (loopback registries always get plain HTTP).</summary>
    public bool PlainHttp { get; init; }

    /// <summary>Accept any TLS certificate (self-signed registries).</summary>
    public bool Insecure { get; init; }

    public ICredentialProvider Credentials { get; init; } = AnonymousCredentialProvider.Instance;

    /// <summary>Connections per registry host; parallel transfers beyond this queue for a connection.</summary>
    public int MaxConnectionsPerServer { get; init; } = 32;

    public RetryPolicy Retry { get; init; } = new();

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Replaces the socket handler (tests).</summary>
    public HttpMessageHandler? Transport { get; init; }
}

/// <summary>Hands out one <see cref="IRegistryClient"/> per registry host, all sharing connections and the token cache.</summary>
public interface IRegistryClientFactory : IDisposable
{
    IRegistryClient ForRegistry(string registry);

    /// <summary>Tokens fetched so far (diagnostics and tests).</summary>
    int TokensFetched { get; }
}

public static class RegistryClients
{
    public const string UserAgent = "berth/0.1";

    public static IRegistryClientFactory Create(RegistryClientOptions options) => new RegistryClientFactory(options);

    /// <summary><c>http</c> for loopback hosts or when asked, else <c>https</c>.</summary>
    public static Uri BaseUriFor(string registry, bool plainHttp) =>
        new($"{(plainHttp || ImageReference.IsLoopbackHost(registry) ? "http" : "https")}://{registry}/");

    private sealed class RegistryClientFactory : IRegistryClientFactory
    {
        private readonly RegistryClientOptions _options;
        private readonly HttpMessageHandler _transport;
        private readonly AuthHandler _auth;
        private readonly HttpMessageInvoker _invoker;
        private readonly ConcurrentDictionary<string, IRegistryClient> _clients = new(StringComparer.OrdinalIgnoreCase);

        public RegistryClientFactory(RegistryClientOptions options)
        {
            _options = options;
            _transport = options.Transport ?? CreateSocketsHandler(options);
            _auth = new AuthHandler(_transport, options.Credentials, options.Time, options.LoggerFactory.CreateLogger("Berth.Client.Auth"));
            var retry = new RetryHandler(_auth, options.Retry, options.LoggerFactory.CreateLogger("Berth.Client.Http"));
            _invoker = new HttpMessageInvoker(retry, disposeHandler: true);
        }

        public int TokensFetched => _auth.TokensFetched;

        public IRegistryClient ForRegistry(string registry) =>
            _clients.GetOrAdd(registry, r => new RegistryClient(r, BaseUriFor(r, _options.PlainHttp), _invoker));

        public void Dispose() => _invoker.Dispose();

        private static SocketsHttpHandler CreateSocketsHandler(RegistryClientOptions options)
        {
            var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = options.MaxConnectionsPerServer,
                AutomaticDecompression = DecompressionMethods.None,
                // Blob GETs may redirect to object storage; .NET drops the Authorization header on the way.
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = 5,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
                ConnectTimeout = TimeSpan.FromSeconds(30),
                UseCookies = false,
            };
            if (options.Insecure)
            {
                handler.SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                };
            }

            return handler;
        }
    }
}
