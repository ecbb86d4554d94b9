using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Berth.Testing;

/// <summary>
/// The Docker token handshake as registry clients do it, for tests: a request answered 401 with a
/// <c>Bearer realm=…,service=…,scope=…</c> challenge makes the handler fetch a token from the realm (with Basic
/// credentials, or anonymously) for exactly that scope and retry once with it. Tokens are cached per scope, so a
/// request whose scope is already known goes out with its token at once. Like clients, a cross-repository mount
/// (<c>?mount=&amp;from=</c>) also asks for <c>pull</c> on the source. A body that cannot be sent twice is never
/// sent without a token: its scope is worked out from the request first.
/// </summary>
public sealed class TokenAuthHandler(TokenAuthenticator authenticator, HttpMessageHandler? inner = null)
    : DelegatingHandler(inner ?? new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
{
    /// <summary>A handler with its own credentials and token cache.</summary>
    public TokenAuthHandler(string? user, string? password, HttpMessageHandler? inner = null)
        : this(new TokenAuthenticator(user, password), inner)
    {
    }

    public TokenAuthenticator Authenticator => authenticator;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is not null)
        {
            return await base.SendAsync(request, cancellationToken); // the test chose its own credentials
        }

        var predicted = PredictScopes(request);
        var replayable = request.Content is null or ByteArrayContent;
        if (predicted is not null && authenticator.TryGetCached(predicted, out var cached))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cached);
        }
        else if (!replayable && predicted is not null && authenticator.LastChallenge is { } known)
        {
            var token = await authenticator.FetchAsync(known with { Scopes = predicted }, cancellationToken);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !replayable || !TryParseChallenge(response, out var challenge))
        {
            return response;
        }

        authenticator.LastChallenge = challenge with { Scopes = [] };
        var scopes = challenge.Scopes.Concat(MountSourceScope(request)).ToList();
        var fresh = await authenticator.FetchAsync(challenge with { Scopes = scopes }, cancellationToken);
        if (fresh is null)
        {
            return response;
        }

        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>The scopes a registry needs for a <c>/v2</c> request (null when the path is not one this handler understands).</summary>
    public static IReadOnlyList<string>? PredictScopes(HttpRequestMessage request)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return null;
        }

        path = path[4..];
        if (path.Length == 0)
        {
            return [];
        }

        if (path == "_catalog")
        {
            return ["registry:catalog:*"];
        }

        foreach (var kind in new[] { "/manifests/", "/blobs/", "/tags/", "/referrers/" })
        {
            var at = path.LastIndexOf(kind, StringComparison.Ordinal);
            if (at <= 0)
            {
                continue;
            }

            var name = path[..at];
            var method = request.Method.Method;
            var isUpload = path[at..].StartsWith("/blobs/uploads/", StringComparison.Ordinal);
            var actions = method is "GET" or "HEAD" && !isUpload ? "pull"
                : method == "DELETE" && !isUpload ? "delete"
                : "pull,push";
            return [$"repository:{name}:{actions}", .. MountSourceScope(request)];
        }

        return null;
    }

    private static IEnumerable<string> MountSourceScope(HttpRequestMessage request)
    {
        var query = request.RequestUri?.Query ?? "";
        if (request.Method != HttpMethod.Post || !query.Contains("mount=", StringComparison.Ordinal))
        {
            yield break;
        }

        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            if (pair.StartsWith("from=", StringComparison.Ordinal) && pair.Length > 5)
            {
                yield return $"repository:{Uri.UnescapeDataString(pair[5..])}:pull";
            }
        }
    }

    /// <summary>Parses <c>Bearer realm="…",service="…",scope="…"</c>; false for any other challenge.</summary>
    public static bool TryParseChallenge(HttpResponseMessage response, out BearerChallenge challenge)
    {
        challenge = new BearerChallenge("", null, []);
        var header = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (header?.Parameter is null)
        {
            return false;
        }

        var parameters = ParseParameters(header.Parameter);
        if (!parameters.TryGetValue("realm", out var realm))
        {
            return false;
        }

        parameters.TryGetValue("service", out var service);
        var scopes = parameters.TryGetValue("scope", out var scope)
            ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        challenge = new BearerChallenge(realm, service, scopes);
        return true;
    }

    /// <summary><c>key="value",key=value</c> → dictionary (quoted values may hold commas).</summary>
    public static Dictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || text[i] == ' '))
            {
                i++;
            }

            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                end = end < 0 ? text.Length : end;
                value = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', i);
                end = end < 0 ? text.Length : end;
                value = text[i..end].Trim();
                i = end;
            }

            result[key] = value;
        }

        return result;
    }
}

/// <summary>A parsed Bearer challenge.</summary>
public sealed record BearerChallenge(string Realm, string? Service, IReadOnlyList<string> Scopes);

/// <summary>
/// Credentials and the token cache behind <see cref="TokenAuthHandler"/>s. Several clients (each with its own
/// connection pool) can share one, so a token fetched for one is used by all.
/// </summary>
public sealed class TokenAuthenticator(string? user, string? password) : IDisposable
{
    private static readonly TimeSpan TokenSafetyMargin = TimeSpan.FromSeconds(30);

    private readonly HttpClient _tokenClient = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private int _tokenRequests;

    /// <summary>The realm and service of the last challenge seen (without scopes).</summary>
    public BearerChallenge? LastChallenge { get; set; }

    /// <summary>How many token requests went to the realm so far.</summary>
    public int TokenRequests => _tokenRequests;

    public bool TryGetCached(IEnumerable<string> scopes, out string token)
    {
        token = "";
        if (_tokens.TryGetValue(Key(scopes), out var cached) && cached.Expires > DateTimeOffset.UtcNow)
        {
            token = cached.Token;
            return true;
        }

        return false;
    }

    internal static string Key(IEnumerable<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));

    /// <summary>Fetches (and caches) a token for the realm, service and scopes of <paramref name="challenge"/>; null when refused.</summary>
    public async Task<string?> FetchAsync(BearerChallenge challenge, CancellationToken cancellationToken)
    {
        var query = new StringBuilder(challenge.Realm);
        query.Append(challenge.Realm.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        query.Append("service=").Append(Uri.EscapeDataString(challenge.Service ?? ""));
        foreach (var scope in challenge.Scopes)
        {
            query.Append("&scope=").Append(Uri.EscapeDataString(scope));
        }

        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, query.ToString());
            if (user is not null)
            {
                tokenRequest.Headers.Authorization = new AuthenticationHeaderValue(
                    "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            }

            Interlocked.Increment(ref _tokenRequests);
            using var response = await _tokenClient.SendAsync(tokenRequest, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // The token endpoint is rate limited per address; a test run shares one address.
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            var root = json.RootElement;
            var token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()
                : null;
            if (string.IsNullOrEmpty(token))
            {
                return null;
            }

            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 60;
            _tokens[Key(challenge.Scopes)] = (token, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(lifetime) - TokenSafetyMargin);
            return token;
        }

        return null;
    }

    public void Dispose() => _tokenClient.Dispose();
}
