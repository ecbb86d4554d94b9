using System.Net;
using System.Text;
using Berth.Client.Auth;
using Berth.Client.Index;
using Berth.Client.Registry;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>The index client's wire behaviour that a real server rarely shows: retries, credentials, error kinds.</summary>
public sealed class IndexClientTests
{
    private const string Registry = "127.0.0.1:5999";

    [Fact]
    public async Task Sends_the_stored_login_as_Basic_from_the_first_request_and_nothing_when_anonymous()
    {
        var stub = new Stub(_ => Json(HttpStatusCode.OK, """{"query":"x","page":1,"pageSize":25,"total":0,"results":[]}"""));
        using (var client = Create(stub, new StaticCredentialProvider(Registry, new RegistryCredentials("alice", "berth_pat_abc"))))
        {
            await client.SearchAsync("a b", 1, 25, CancellationToken.None);
        }

        using (var anonymous = Create(stub, AnonymousCredentialProvider.Instance))
        {
            await anonymous.SearchAsync("x", 2, 500, CancellationToken.None);
        }

        Assert.Equal($"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:berth_pat_abc"))}", stub.Requests[0].Authorization);
        Assert.Equal("http://127.0.0.1:5999/api/v1/search?q=a%20b&page=1&n=25", stub.Requests[0].Uri);
        Assert.Null(stub.Requests[1].Authorization);
        Assert.EndsWith("page=2&n=100", stub.Requests[1].Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_account_is_not_waited_out()
    {
        var stub = new Stub(_ =>
        {
            var response = Problem(HttpStatusCode.TooManyRequests, "too many failed logins for this account; try again later");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(300));
            return response;
        });
        using var client = Create(stub, new StaticCredentialProvider(Registry, new RegistryCredentials("alice", "wrong")));
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepositoryAsync("alice/app", CancellationToken.None));
        Assert.Equal(RegistryErrorKind.Unauthorized, e.Kind);
        Assert.Contains("too many failed logins", e.Message, StringComparison.Ordinal);
        Assert.Contains("retry in 5 min", e.Message, StringComparison.Ordinal);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task Reads_are_retried_on_503_but_a_comment_is_not_posted_twice_after_a_502()
    {
        var calls = 0;
        var stub = new Stub(request => request.Method == HttpMethod.Post
            ? Problem(HttpStatusCode.BadGateway, "upstream failed")
            : ++calls == 1 ? Problem(HttpStatusCode.ServiceUnavailable, "starting") : Json(HttpStatusCode.OK, "[]"));
        using var client = Create(stub, AnonymousCredentialProvider.Instance);
        Assert.Empty(await client.ListCommentsAsync("alice/app", CancellationToken.None));
        Assert.Equal(2, stub.Requests.Count);

        var e = await Assert.ThrowsAsync<RegistryException>(() => client.AddCommentAsync("alice/app", "hi", CancellationToken.None));
        Assert.Equal(RegistryErrorKind.Unavailable, e.Kind);
        Assert.Equal(3, stub.Requests.Count);
        Assert.Equal("""{"body":"hi"}""", stub.Requests[2].Body);
    }

    [Fact]
    public async Task Problem_details_become_error_kinds_and_a_missing_api_is_not_a_missing_repository()
    {
        var answers = new Queue<HttpResponseMessage>(
        [
            Problem(HttpStatusCode.NotFound, "repository 'alice/app' does not exist or you may not see it"),
            Problem(HttpStatusCode.Forbidden, "this needs admin permission on 'alice/app'"),
            Problem(HttpStatusCode.Conflict, "repository 'alice/app' already exists"),
            new HttpResponseMessage(HttpStatusCode.NotFound),
        ]);
        var stub = new Stub(_ => answers.Dequeue());
        using var client = Create(stub, AnonymousCredentialProvider.Instance);

        var missing = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepositoryAsync("alice/app", CancellationToken.None));
        Assert.Equal(RegistryErrorKind.NotFound, missing.Kind);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains($"berth login {Registry}", missing.Message, StringComparison.Ordinal);
        Assert.Equal(RegistryErrorKind.Denied, (await Assert.ThrowsAsync<RegistryException>(
            () => client.DeleteRepositoryAsync("alice/app", CancellationToken.None))).Kind);
        var taken = await Assert.ThrowsAsync<RegistryException>(
            () => client.CreateRepositoryAsync("alice/app", RepositoryVisibility.Public, null, CancellationToken.None));
        Assert.Equal(RegistryErrorKind.Invalid, taken.Kind);
        Assert.Equal("""{"name":"alice/app","visibility":"public"}""", stub.Requests[2].Body);
        var plain = await Assert.ThrowsAsync<RegistryException>(() => client.SetStarAsync("alice/app", true, CancellationToken.None));
        Assert.Equal(RegistryErrorKind.Unsupported, plain.Kind);
        Assert.Contains("does not serve the Berth index API", plain.Message, StringComparison.Ordinal);
        Assert.Equal(("PUT", "http://127.0.0.1:5999/api/v1/repositories/alice/app/-/star"), (stub.Requests[3].Method, stub.Requests[3].Uri));
    }

    private static IIndexClient Create(Stub stub, ICredentialProvider credentials) => IndexClients.Create(Registry, new RegistryClientOptions
    {
        Transport = stub,
        Credentials = credentials,
        Retry = Clients.FastRetry,
    });

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Problem(HttpStatusCode status, string detail) =>
        new(status)
        {
            Content = new StringContent($$"""{"status":{{(int)status}},"title":"{{status}}","detail":"{{detail}}"}""", Encoding.UTF8, "application/problem+json"),
        };

    private sealed record Seen(string Method, string Uri, string? Authorization, string? Body);

    private sealed class Stub(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<Seen> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new Seen(request.Method.Method, request.RequestUri!.AbsoluteUri, request.Headers.Authorization?.ToString(), body));
            return answer(request);
        }
    }
}
