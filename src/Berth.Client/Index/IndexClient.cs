using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Client.Auth;
using Berth.Client.Http;
using Berth.Client.Registry;
using Berth.Oci;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Index;

/// <summary>Index API clients, reached the way registries are (plain HTTP for loopback or when asked, <c>--insecure</c>, retries).</summary>
public static class IndexClients
{
    /// <summary>A client for the index at <paramref name="registry"/> (<c>host[:port]</c>); dispose it when done.</summary>
    public static IIndexClient Create(string registry, RegistryClientOptions options)
    {
        var transport = options.Transport ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            UseCookies = false,
            SslOptions = options.Insecure
                ? new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true }
                : new SslClientAuthenticationOptions(),
        };
        return new IndexClient(
            registry,
            RegistryClients.BaseUriFor(registry, options.PlainHttp),
            new HttpMessageInvoker(transport, disposeHandler: options.Transport is null),
            options.Credentials,
            options.Retry,
            options.LoggerFactory.CreateLogger("Berth.Client.Index"));
    }
}

/// <summary>
/// The index API over one connection pool. Credentials go with every request from the start: the API answers an
/// anonymous caller 404 for a private repository rather than challenging, so waiting for a 401 would hide it.
/// Retries follow <see cref="RetryPolicy"/> except for 429, which the index sends only while an account is locked
/// after failed logins (minutes: waiting it out in a command line helps nobody), and POST, which is sent again only
/// when it cannot have been processed (503, or no connection).
/// </summary>
internal sealed partial class IndexClient(
    string registry, Uri baseUri, HttpMessageInvoker http, ICredentialProvider credentialProvider, RetryPolicy retry, ILogger logger) : IIndexClient
{
    /// <summary>API documents are small; an index that takes longer than this to answer one is not going to.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private const int MaxPageSize = 100;

    private RegistryCredentials? _credentials;
    private bool _credentialsLoaded;

    public string Registry { get; } = registry;

    public Uri BaseUri { get; } = baseUri;

    public async Task<SearchPage> SearchAsync(string query, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var path = string.Create(CultureInfo.InvariantCulture, $"api/v1/search?q={Uri.EscapeDataString(query)}&page={page}&n={Math.Min(pageSize, MaxPageSize)}");
        return await GetJsonAsync(path, IndexJson.Default.SearchPage, $"search {Registry}", cancellationToken);
    }

    public Task<RepositoryInfo> GetRepositoryAsync(string name, CancellationToken cancellationToken) =>
        GetJsonAsync(RepositoryPath(name, ""), IndexJson.Default.RepositoryInfo, Describe(name), cancellationToken);

    public async Task<RepositoryInfo> CreateRepositoryAsync(string name, RepositoryVisibility? visibility, string? description, CancellationToken cancellationToken)
    {
        CheckName(name);
        using var response = await SendAsync(HttpMethod.Post, "api/v1/repositories",
            Json(new CreateRepositoryRequest(name, Word(visibility), description), IndexJson.Default.CreateRepositoryRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.RepositoryInfo, Describe(name), cancellationToken);
    }

    public async Task<RepositoryInfo> UpdateRepositoryAsync(string name, RepositoryVisibility? visibility, string? description, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, RepositoryPath(name, ""),
            Json(new UpdateRepositoryRequest(Word(visibility), description), IndexJson.Default.UpdateRepositoryRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.RepositoryInfo, Describe(name), cancellationToken);
    }

    public async Task DeleteRepositoryAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, RepositoryPath(name, ""), null, cancellationToken);
        await EnsureSuccessAsync(response, Describe(name), cancellationToken);
    }

    public async Task SetStarAsync(string name, bool starred, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(starred ? HttpMethod.Put : HttpMethod.Delete, RepositoryPath(name, "star"), null, cancellationToken);
        await EnsureSuccessAsync(response, Describe(name), cancellationToken);
    }

    public async Task<IReadOnlyList<RepositoryComment>> ListCommentsAsync(string name, CancellationToken cancellationToken)
    {
        var all = new List<RepositoryComment>();
        for (var page = 1; ; page++)
        {
            var path = RepositoryPath(name, "comments") + string.Create(CultureInfo.InvariantCulture, $"?page={page}&n={MaxPageSize}");
            var comments = await GetJsonAsync(path, IndexJson.Default.ListRepositoryComment, Describe(name), cancellationToken);
            all.AddRange(comments);
            if (comments.Count < MaxPageSize)
            {
                return all;
            }
        }
    }

    public async Task<RepositoryComment> AddCommentAsync(string name, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, RepositoryPath(name, "comments"),
            Json(new CommentRequest(body), IndexJson.Default.CommentRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.RepositoryComment, Describe(name), cancellationToken);
    }

    public async Task<AccountInfo> CreateAccountAsync(string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/v1/users",
            Json(new CreateAccountRequest(name, password, email, isAdmin ? true : null), IndexJson.Default.CreateAccountRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.AccountInfo, $"create account '{name}' on {Registry}", cancellationToken);
    }

    public async Task<CreatedWebhookInfo> CreateWebhookAsync(
        WebhookOwner owner, string url, IReadOnlyList<string>? events, bool enabled, string? description, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, owner.Path,
            Json(new CreateWebhookRequest(url, events, enabled ? null : false, description), IndexJson.Default.CreateWebhookRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.CreatedWebhookInfo, $"create a webhook for {owner} on {Registry}", cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookInfo>> ListWebhooksAsync(WebhookOwner owner, CancellationToken cancellationToken) =>
        await GetJsonAsync(owner.Path, IndexJson.Default.ListWebhookInfo, $"webhooks of {owner} on {Registry}", cancellationToken);

    public Task<WebhookInfo> GetWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken) =>
        GetJsonAsync(WebhookPath(owner, id, ""), IndexJson.Default.WebhookInfo, DescribeWebhook(owner, id), cancellationToken);

    public async Task<WebhookInfo> UpdateWebhookAsync(
        WebhookOwner owner, long id, string? url, IReadOnlyList<string>? events, bool? enabled, string? description, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, WebhookPath(owner, id, ""),
            Json(new UpdateWebhookRequest(url, events, enabled, description), IndexJson.Default.UpdateWebhookRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.WebhookInfo, DescribeWebhook(owner, id), cancellationToken);
    }

    public async Task DeleteWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, WebhookPath(owner, id, ""), null, cancellationToken);
        await EnsureSuccessAsync(response, DescribeWebhook(owner, id), cancellationToken);
    }

    public async Task<CreatedWebhookInfo> RotateWebhookSecretAsync(WebhookOwner owner, long id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, WebhookPath(owner, id, "/rotate-secret"), null, cancellationToken);
        return await ReadAsync(response, IndexJson.Default.CreatedWebhookInfo, DescribeWebhook(owner, id), cancellationToken);
    }

    public async Task<WebhookDeliveryInfo> PingWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, WebhookPath(owner, id, "/ping"), null, cancellationToken);
        return await ReadAsync(response, IndexJson.Default.WebhookDeliveryInfo, DescribeWebhook(owner, id), cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookDeliveryInfo>> ListWebhookDeliveriesAsync(WebhookOwner owner, long id, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var path = WebhookPath(owner, id, "/deliveries") + string.Create(CultureInfo.InvariantCulture, $"?n={Math.Min(count, MaxPageSize)}");
        return await GetJsonAsync(path, IndexJson.Default.ListWebhookDeliveryInfo, DescribeWebhook(owner, id), cancellationToken);
    }

    public async Task<WebhookDeliveryInfo> RedeliverWebhookAsync(WebhookOwner owner, long id, long delivery, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post,
            WebhookPath(owner, id, string.Create(CultureInfo.InvariantCulture, $"/deliveries/{delivery}/redeliver")), null, cancellationToken);
        return await ReadAsync(response, IndexJson.Default.WebhookDeliveryInfo, DescribeWebhook(owner, id), cancellationToken);
    }

    public void Dispose() => http.Dispose();

    public async Task<TagRuleInfo> CreateTagRuleAsync(WebhookOwner owner, string pattern, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, owner.Scope + "tag-rules",
            Json(new CreateTagRuleRequest(pattern), IndexJson.Default.CreateTagRuleRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.TagRuleInfo, $"create a tag rule for {owner} on {Registry}", cancellationToken);
    }

    public async Task<IReadOnlyList<TagRuleInfo>> ListTagRulesAsync(WebhookOwner owner, CancellationToken cancellationToken) =>
        await GetJsonAsync(owner.Scope + "tag-rules", IndexJson.Default.ListTagRuleInfo, $"tag rules of {owner} on {Registry}", cancellationToken);

    public async Task DeleteTagRuleAsync(WebhookOwner owner, long id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"{owner.Scope}tag-rules/{id.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
        await EnsureSuccessAsync(response, $"tag rule {id.ToString(CultureInfo.InvariantCulture)} of {owner} on {Registry}", cancellationToken);
    }

    public async Task<RetentionPolicyInfo> CreateRetentionPolicyAsync(WebhookOwner owner, string pattern, int? keepLast, int? keepDays, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, owner.Scope + "retention-policies",
            Json(new CreateRetentionPolicyRequest(pattern, keepLast, keepDays), IndexJson.Default.CreateRetentionPolicyRequest), cancellationToken);
        return await ReadAsync(response, IndexJson.Default.RetentionPolicyInfo, $"create a retention policy for {owner} on {Registry}", cancellationToken);
    }

    public async Task<IReadOnlyList<RetentionPolicyInfo>> ListRetentionPoliciesAsync(WebhookOwner owner, CancellationToken cancellationToken) =>
        await GetJsonAsync(owner.Scope + "retention-policies", IndexJson.Default.ListRetentionPolicyInfo, $"retention policies of {owner} on {Registry}", cancellationToken);

    public async Task DeleteRetentionPolicyAsync(WebhookOwner owner, long id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"{owner.Scope}retention-policies/{id.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
        await EnsureSuccessAsync(response, $"retention policy {id.ToString(CultureInfo.InvariantCulture)} of {owner} on {Registry}", cancellationToken);
    }

    private static string WebhookPath(WebhookOwner owner, long id, string resource) =>
        string.Create(CultureInfo.InvariantCulture, $"{owner.Path}/{id}{resource}");

    private string DescribeWebhook(WebhookOwner owner, long id) =>
        string.Create(CultureInfo.InvariantCulture, $"webhook {id} of {owner} on {Registry}");

    /// <summary><c>api/v1/repositories/team/app[/-/resource]</c>: names keep their slashes (the API's <c>/-/</c> separates sub-resources).</summary>
    private static string RepositoryPath(string name, string resource)
    {
        CheckName(name);
        return resource.Length == 0 ? $"api/v1/repositories/{name}" : $"api/v1/repositories/{name}/-/{resource}";
    }

    private static void CheckName(string name)
    {
        if (!RepositoryName.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid repository name", nameof(name));
        }
    }

    private string Describe(string name) => $"{Registry}/{name}";

    private static string? Word(RepositoryVisibility? visibility) => visibility switch
    {
        RepositoryVisibility.Public => "public",
        RepositoryVisibility.Private => "private",
        _ => null,
    };

    /// <summary>Bytes, not a stream: a retry sends them again.</summary>
    private static byte[] Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return await ReadAsync(response, type, what, cancellationToken);
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, what, cancellationToken);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, type, cancellationToken)
                ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new RegistryException(RegistryErrorKind.Invalid, $"{what}: {Registry} answered with JSON berth does not understand ({e.Message})", response.StatusCode, inner: e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken);
        var uri = new Uri(BaseUri, path);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            }

            request.Headers.UserAgent.ParseAdd(RegistryClients.UserAgent);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
            if (credentials is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, timeout.Token);
                await response.Content.LoadIntoBufferAsync(timeout.Token);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
            {
                throw new RegistryException(RegistryErrorKind.Tls,
                    $"TLS handshake with {Registry} failed ({e.InnerException?.Message ?? e.Message}); for a self-signed certificate use --insecure, for an index without TLS --plain-http", inner: e);
            }
            catch (HttpRequestException e) when (attempt < retry.MaxAttempts && RetryPolicy.IsTransient(e) &&
                                                (method != HttpMethod.Post || e.HttpRequestError == HttpRequestError.ConnectionError))
            {
                await BackOffAsync(method, uri, e.Message, attempt, null, cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new RegistryException(RegistryErrorKind.Network, $"cannot reach {BaseUri.GetLeftPart(UriPartial.Authority)}: {e.Message}", inner: e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RegistryException(RegistryErrorKind.Network, $"{Registry} did not answer within {RequestTimeout.TotalSeconds:0} s", inner: e);
            }

            var again = response.StatusCode != HttpStatusCode.TooManyRequests &&
                        (method == HttpMethod.Post ? response.StatusCode == HttpStatusCode.ServiceUnavailable : RetryPolicy.IsRetryable(response.StatusCode, method));
            if (!again || attempt >= retry.MaxAttempts)
            {
                return response;
            }

            var reason = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            var retryAfter = response.Headers.RetryAfter;
            response.Dispose();
            await BackOffAsync(method, uri, reason, attempt, retryAfter, cancellationToken);
        }
    }

    private async Task BackOffAsync(HttpMethod method, Uri uri, string reason, int attempt, RetryConditionHeaderValue? retryAfter, CancellationToken cancellationToken)
    {
        var delay = retry.Delay(attempt, retryAfter);
        LogRetry(logger, method.Method, uri, reason, delay.TotalMilliseconds);
        await Task.Delay(delay, retry.Time, cancellationToken);
    }

    /// <summary>The stored login for this host, once per client; only a username with a password (or token) is usable here.</summary>
    private async ValueTask<RegistryCredentials?> CredentialsAsync(CancellationToken cancellationToken)
    {
        if (!_credentialsLoaded)
        {
            var found = await credentialProvider.GetAsync(Registry, cancellationToken);
            _credentials = found is { HasPassword: true } ? found : null;
            _credentialsLoaded = true;
        }

        return _credentials;
    }

    /// <summary>Problem details to an exception whose kind the CLI maps to its exit codes, with what to do about it.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = response.StatusCode;
        var problem = await ReadProblemAsync(response, cancellationToken);
        var detail = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "";
        var credentials = await CredentialsAsync(cancellationToken);
        var (kind, message) = status switch
        {
            HttpStatusCode.Unauthorized when credentials is not null =>
                (RegistryErrorKind.Unauthorized, $"{Registry} refused the credentials of '{credentials.Username}' ({detail}); run `berth login {Registry}` again (or check --creds)"),
            HttpStatusCode.Unauthorized =>
                (RegistryErrorKind.Unauthorized, $"this needs a signed-in user; run `berth login {Registry}` (or pass --creds)"),
            HttpStatusCode.TooManyRequests =>
                (RegistryErrorKind.Unauthorized, $"{detail}{RetryAfterText(response)}"),
            HttpStatusCode.Forbidden => (RegistryErrorKind.Denied, $"access denied: {detail}"),
            HttpStatusCode.NotFound when problem is null =>
                (RegistryErrorKind.Unsupported, $"{Registry} does not serve the Berth index API (/api/v1): a plain registry, or a Berth registry-only server"),
            HttpStatusCode.NotFound when credentials is null => (RegistryErrorKind.NotFound, $"{detail} (not logged in: a private repository needs `berth login {Registry}`)"),
            HttpStatusCode.NotFound => (RegistryErrorKind.NotFound, detail),
            HttpStatusCode.MethodNotAllowed => (RegistryErrorKind.Unsupported, $"the index does not allow this ({detail})"),
            HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType
                => (RegistryErrorKind.Invalid, detail),
            >= HttpStatusCode.InternalServerError => (RegistryErrorKind.Unavailable, $"the index failed or is unavailable; try again later ({(int)status}: {detail})"),
            _ => (RegistryErrorKind.Invalid, $"the index refused the request ({(int)status}: {detail})"),
        };
        throw new RegistryException(kind, $"{what}: {message}", status, problem?.Title);
    }

    private static async Task<ProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/problem+json" or "application/json"))
        {
            return null;
        }

        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, IndexJson.Default.ProblemDetails, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string RetryAfterText(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? $" (retry in {Math.Ceiling(delta.TotalMinutes):0} min)" : "";

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Uri} failed ({Reason}); retrying in {DelayMs:0} ms")]
    private static partial void LogRetry(ILogger logger, string method, Uri uri, string reason, double delayMs);
}
