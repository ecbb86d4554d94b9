using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Index.Tests.Support;

/// <summary>A response of the REST API: status, headers and the parsed JSON body (null when empty).</summary>
public sealed record ApiResponse(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, string Text)
{
    public string? ContentType => ContentHeaders.ContentType?.MediaType;

    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);

    /// <summary>Asserts the status (showing the body when it differs) and returns the response.</summary>
    public ApiResponse Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Text}");
        return this;
    }

    /// <summary>Asserts an RFC 9457 problem with this status.</summary>
    public JsonNode ExpectProblem(HttpStatusCode status)
    {
        Expect(status);
        Assert.Equal("application/problem+json", ContentType);
        var json = Json!;
        Assert.Equal((int)status, (int)json["status"]!);
        Assert.NotNull(json["title"]);
        return json;
    }
}

/// <summary>One caller of the REST API: Basic with a password or token, Bearer with a token, or anonymous.</summary>
public sealed class ApiCaller(HttpClient http, string? user, string? secret, bool bearer = false)
{
    public string? Name => user;

    public string? Secret => secret;

    public AuthenticationHeaderValue? Authorization => (user, secret, bearer) switch
    {
        (_, { } s, true) => new AuthenticationHeaderValue("Bearer", s),
        ({ } u, { } s, false) => new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{u}:{s}"))),
        _ => null,
    };

    public ApiCaller WithSecret(string newSecret) => new(http, user, newSecret);

    public ApiCaller WithBearer(string token) => new(http, user, token, bearer: true);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = Authorization;
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Headers, response.Content.Headers, text);
    }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> PostAsync(string path, JsonNode? body) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PutAsync(string path, JsonNode? body = null) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> PatchAsync(string path, JsonNode body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>GET that must answer 200; returns the JSON.</summary>
    public async Task<JsonNode> GetJsonAsync(string path) => (await GetAsync(path)).Expect(HttpStatusCode.OK).Json!;

    /// <summary>
    /// GET that must answer 200, repeated until <paramref name="done"/> holds for its JSON (at most 20 s): what the
    /// registry changes reaches the index's records in the background, from its outbox.
    /// </summary>
    public async Task<JsonNode> GetJsonUntilAsync(string path, Func<JsonNode, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var json = await GetJsonAsync(path);
            if (done(json))
            {
                return json;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"GET {path} did not reach the expected state within 20 s: {json.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Creates a repository through the API (201 expected).</summary>
    public async Task<JsonNode> CreateRepositoryAsync(string name, string? visibility = null, string? description = null)
    {
        var body = new JsonObject { ["name"] = name };
        if (visibility is not null)
        {
            body["visibility"] = visibility;
        }

        if (description is not null)
        {
            body["description"] = description;
        }

        return (await PostAsync("api/v1/repositories", body)).Expect(HttpStatusCode.Created).Json!;
    }

    /// <summary>Creates a personal access token; returns its id and secret.</summary>
    public async Task<(long Id, string Token)> CreateTokenAsync(params string[] scopes)
    {
        var json = (await PostAsync("api/v1/user/tokens", new JsonObject
        {
            ["name"] = $"t{Guid.NewGuid():N}"[..12],
            ["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]),
        })).Expect(HttpStatusCode.Created).Json!;
        return ((long)json["id"]!, (string)json["token"]!);
    }

    public override string ToString() => user ?? "anonymous";
}
