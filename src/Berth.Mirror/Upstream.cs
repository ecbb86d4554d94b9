using System.Net;
using Berth.Client.Auth;
using Berth.Client.Http;
using Berth.Client.Registry;
using Berth.Data;
using Berth.Data.Entities;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

/// <summary>
/// One configured upstream and the client that speaks to it (Basic or the token handshake, with the configured
/// credentials, which only this process ever sees). Requests are not retried here: a 429 or 5xx must reach the
/// mirror at once, which serves its cache and backs off for the upstream's <c>Retry-After</c>.
/// </summary>
public sealed class Upstream : IDisposable
{
    private readonly IRegistryClientFactory _clients;

    public Upstream(UpstreamOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"mirror {options.Name ?? "(default)"}: '{options.Url}' is not an absolute http(s) URL", nameof(options));
        }

        Name = string.IsNullOrWhiteSpace(options.Name) ? null : options.Name.Trim();
        Url = url;
        TagTtl = options.TagTtl;
        OfficialPrefix = string.IsNullOrEmpty(options.OfficialPrefix) ? null : options.OfficialPrefix.TrimEnd('/') + "/";
        Pull = PullOf(options);
        Origin = new RepositoryOrigin(Name ?? url.GetLeftPart(UriPartial.Path).TrimEnd('/'), Pull == MirrorPull.Anyone ? Visibility.Public : Visibility.Private);
        var host = url.Authority;
        ICredentialProvider credentials = string.IsNullOrEmpty(options.Username)
            ? AnonymousCredentialProvider.Instance
            : new StaticCredentialProvider(host, new RegistryCredentials(options.Username, options.Password ?? ""));
        _clients = RegistryClients.Create(new RegistryClientOptions
        {
            PlainHttp = url.Scheme == "http",
            Credentials = credentials,
            Retry = new RetryPolicy { MaxAttempts = 1, Time = time },
            LoggerFactory = loggers,
            Time = time,
            Transport = new RetryAfterObserver(new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.None,
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = 5,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                UseCookies = false,
            }, time),
        });
        Client = _clients.ForRegistry(host);
    }

    /// <summary>The name clients use for it (path prefix, <c>?ns=</c>); null for the single upstream of every name.</summary>
    public string? Name { get; }

    /// <summary>How metrics and logs call it.</summary>
    public string Label => Name ?? Url.Authority;

    public Uri Url { get; }

    public TimeSpan TagTtl { get; }

    public string? OfficialPrefix { get; }

    public IRegistryClient Client { get; }

    /// <summary>Who may pull its repositories through Berth (token auth).</summary>
    public MirrorPull Pull { get; }

    /// <summary>What a repository cached from it records: its source (name, or URL without credentials) and visibility.</summary>
    public RepositoryOrigin Origin { get; }

    /// <summary>
    /// The configured pull policy, else <c>anyone</c> for an upstream without credentials and <c>users</c> for one with
    /// them: what only the mirror's credentials can read must not become public by accident.
    /// </summary>
    public static MirrorPull PullOf(UpstreamOptions options) =>
        options.Pull ?? (string.IsNullOrEmpty(options.Username) ? MirrorPull.Anyone : MirrorPull.Users);

    /// <summary>The repository's name at the upstream: official images (one component) get the prefix.</summary>
    public string UpstreamName(string repository) =>
        OfficialPrefix is { } prefix && !repository.Contains('/', StringComparison.Ordinal) ? prefix + repository : repository;

    public void Dispose() => _clients.Dispose();
}
