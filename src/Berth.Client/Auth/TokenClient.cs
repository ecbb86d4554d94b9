using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Berth.Client.Auth;

/// <summary>
/// Asks a Docker token endpoint for an access token: <c>GET realm?service=&amp;scope=…</c> with Basic credentials (or none),
/// or the OAuth2 <c>POST</c> with a refresh token when the user holds an identity token (falling back to GET on 404).
/// </summary>
internal sealed class TokenClient(HttpMessageInvoker http, TimeProvider time)
{
    public const string ClientId = "berth";

    public async Task<AccessToken> FetchAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var realm = new Uri(challenge.Realm!, UriKind.Absolute);
        if (credentials?.IdentityToken is { } refreshToken)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, realm)
            {
                Content = new FormUrlEncodedContent(Form(challenge, scopes, refreshToken)),
            };
            using var postResponse = await http.SendAsync(post, cancellationToken);
            if (postResponse.StatusCode != HttpStatusCode.NotFound)
            {
                return await ReadAsync(postResponse, realm, cancellationToken);
            }
        }

        var query = new StringBuilder();
        Append(query, "service", challenge.Service);
        foreach (var scope in scopes)
        {
            Append(query, "scope", scope);
        }

        Append(query, "client_id", ClientId);
        if (credentials?.HasPassword == true)
        {
            Append(query, "account", credentials.Username);
        }

        var builder = new UriBuilder(realm);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + query : query.ToString();
        using var get = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credentials?.HasPassword == true)
        {
            get.Headers.Authorization = BasicHeader(credentials);
        }

        using var response = await http.SendAsync(get, cancellationToken);
        return await ReadAsync(response, realm, cancellationToken);
    }

    public static AuthenticationHeaderValue BasicHeader(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));

    private async Task<AccessToken> ReadAsync(HttpResponseMessage response, Uri realm, CancellationToken cancellationToken)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new RegistryAuthException($"the token server {realm.GetLeftPart(UriPartial.Path)} refused the credentials ({(int)response.StatusCode})");
        }

        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            detail = detail.Length > 300 ? detail[..300] : detail;
            throw new RegistryAuthException(
                $"the token server {realm.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail.Trim() : "")}");
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return AccessToken.Parse(body, time.GetUtcNow());
    }

    private static Dictionary<string, string> Form(AuthChallenge challenge, IReadOnlyList<string> scopes, string refreshToken) => new()
    {
        ["grant_type"] = "refresh_token",
        ["refresh_token"] = refreshToken,
        ["service"] = challenge.Service ?? "",
        ["scope"] = string.Join(' ', scopes),
        ["client_id"] = ClientId,
    };

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
