using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Auth;

/// <summary>
/// The registry auth handshake as a message handler: send; on a 401 read the challenge; Basic → credentials, Bearer →
/// a token for the request's scopes from the realm; retry once. What a host asked for is remembered, so later
/// requests carry credentials from the start (streamed bodies cannot be sent twice). Tokens are cached per host and
/// scope set until they expire; a 401 on a request that carried a token drops it and fetches a fresh one (refresh).
/// </summary>
internal sealed partial class AuthHandler : DelegatingHandler
{
    private readonly ICredentialProvider _credentials;
    private readonly TokenClient _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<Task<AccessToken>>> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _probes = new(StringComparer.OrdinalIgnoreCase);

    public AuthHandler(HttpMessageHandler inner, ICredentialProvider credentials, TimeProvider time, ILogger logger)
        : base(inner)
    {
        _credentials = credentials;
        _time = time;
        _logger = logger;
        _tokens = new TokenClient(new HttpMessageInvoker(inner, disposeHandler: false), time);
    }

    /// <summary>
    /// Set on a request that was authorized with the user's credentials (not anonymously), so a final 401 can be told
    /// apart: refused credentials or a scope the account lacks, rather than "log in first".
    /// </summary>
    public static readonly HttpRequestOptionsKey<string> SentCredentialsOf = new("berth.auth.sent-credentials-of");

    /// <summary>How many tokens were fetched (tests assert the cache works).</summary>
    public int TokensFetched => _tokensFetched;

    private int _tokensFetched;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var host = request.RequestUri!.Authority;
        var scopes = RegistryScope.ScopesOf(request);
        var probe = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var existing = _probes.GetOrAdd(host, probe);
        if (existing != probe)
        {
            // Until the first request to a host has told us how it authenticates, the others wait: eight parallel
            // uploads must not all collect a 401 (and lose their streamed bodies) on the way to the same answer.
            await existing.Task.WaitAsync(cancellationToken);
            return await SendKnownAsync(request, host, scopes, cancellationToken);
        }

        try
        {
            return await SendKnownAsync(request, host, scopes, cancellationToken);
        }
        finally
        {
            probe.TrySetResult();
        }
    }

    private async Task<HttpResponseMessage> SendKnownAsync(HttpRequestMessage request, string host, string[] scopes, CancellationToken cancellationToken)
    {
        string? usedTokenKey = null;
        if (_challenges.TryGetValue(host, out var known))
        {
            usedTokenKey = await AuthorizeAsync(request, host, known, scopes, forceRefresh: false, cancellationToken);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || AuthChallenge.From(response.Headers.WwwAuthenticate) is not { } challenge)
        {
            return response;
        }

        var firstTime = !_challenges.TryGetValue(host, out var previous) || previous != challenge;
        _challenges[host] = challenge;
        if (!CanResend(request))
        {
            // The body was a stream and is gone; the caller resumes, and its next request is authorized up front.
            return response;
        }

        if (challenge.IsBasic && request.Headers.Authorization is { Scheme: "Basic" } && !firstTime)
        {
            return response;
        }

        var merged = RegistryScope.Normalize(scopes.Concat(challenge.Scopes));
        var key = await AuthorizeAsync(request, host, challenge, merged, forceRefresh: usedTokenKey is not null, cancellationToken);
        if (key is null && request.Headers.Authorization is null)
        {
            return response;
        }

        LogRetrying(_logger, request.Method.Method, request.RequestUri, challenge.Scheme);
        response.Dispose();
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Sets the Authorization header for <paramref name="challenge"/>; returns the token cache key used, if any.</summary>
    private async Task<string?> AuthorizeAsync(
        HttpRequestMessage request, string host, AuthChallenge challenge, IReadOnlyList<string> scopes, bool forceRefresh, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.GetAsync(host, cancellationToken);
        if (credentials is { HasPassword: true } or { IdentityToken: not null })
        {
            request.Options.Set(SentCredentialsOf, credentials.Username ?? "");
        }

        if (challenge.IsBasic)
        {
            request.Headers.Authorization = credentials?.HasPassword == true ? TokenClient.BasicHeader(credentials) : null;
            return null;
        }

        var normalized = RegistryScope.Normalize(scopes);
        var key = $"{host}|{challenge.Realm}|{challenge.Service}|{string.Join(' ', normalized)}";
        var token = await GetTokenAsync(key, challenge, normalized, credentials, forceRefresh, cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return key;
    }

    private async Task<AccessToken> GetTokenAsync(
        string key, AuthChallenge challenge, IReadOnlyList<string> scopes, RegistryCredentials? credentials, bool forceRefresh, CancellationToken cancellationToken)
    {
        var entry = _cache.GetOrAdd(key, _ => new Lazy<Task<AccessToken>>(() => FetchAsync(challenge, scopes, credentials)));
        var token = await AwaitAsync(key, entry, cancellationToken);
        if (!forceRefresh && token.ExpiresAt > _time.GetUtcNow())
        {
            return token;
        }

        // Expired, or refused by the registry: replace exactly this entry, so concurrent refreshers share one fetch.
        LogRefreshing(_logger, string.Join(' ', scopes));
        var fresh = new Lazy<Task<AccessToken>>(() => FetchAsync(challenge, scopes, credentials));
        if (!_cache.TryUpdate(key, fresh, entry))
        {
            fresh = _cache.GetOrAdd(key, fresh);
        }

        return await AwaitAsync(key, fresh, cancellationToken);
    }

    private async Task<AccessToken> AwaitAsync(string key, Lazy<Task<AccessToken>> entry, CancellationToken cancellationToken)
    {
        try
        {
            return await entry.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed fetch must not stay cached: the next request tries again.
            _cache.TryRemove(new KeyValuePair<string, Lazy<Task<AccessToken>>>(key, entry));
            throw;
        }
    }

    private async Task<AccessToken> FetchAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, RegistryCredentials? credentials)
    {
        Interlocked.Increment(ref _tokensFetched);
        LogFetching(_logger, challenge.Realm, string.Join(' ', scopes), credentials?.Username ?? "(anonymous)");
        // Not tied to one caller's token: concurrent requests wait on the same fetch.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _tokens.FetchAsync(challenge, scopes, credentials, timeout.Token);
    }

    private static bool CanResend(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReplayableContent;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Uri}: challenged ({Scheme}), retrying with credentials")]
    private static partial void LogRetrying(ILogger logger, string method, Uri? uri, string scheme);

    [LoggerMessage(Level = LogLevel.Debug, Message = "fetching a token from {Realm} for [{Scopes}] as {Account}")]
    private static partial void LogFetching(ILogger logger, string? realm, string scopes, string account);

    [LoggerMessage(Level = LogLevel.Debug, Message = "token for [{Scopes}] expired or refused; fetching a new one")]
    private static partial void LogRefreshing(ILogger logger, string scopes);
}

/// <summary>Marks request content that can be sent again (it re-opens its source), so the auth handler may retry it.</summary>
internal abstract class ReplayableContent : HttpContent;
