using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// One site shared by the webhook management tests: a private repository of <see cref="Owner"/> with a reader, a
/// writer and an admin collaborator, an outsider, and an organisation owned by <see cref="Owner"/> with
/// <see cref="Reader"/> as a plain member.
/// </summary>
public sealed class WebhookApiFixture : IAsyncLifetime
{
    public Site Site { get; private set; } = null!;

    public Actor Owner { get; private set; } = null!;

    public Actor Reader { get; private set; } = null!;

    public Actor Writer { get; private set; } = null!;

    public Actor RepoAdmin { get; private set; } = null!;

    public Actor Outsider { get; private set; } = null!;

    public string Org { get; } = "hookorg" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>A private repository whose name has two slashes (the catch-all dispatcher's case).</summary>
    public string Repo => $"{Owner.Name}/hooks/app";

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync();
        Owner = await Site.CreateUserAsync("hookowner");
        Reader = await Site.CreateUserAsync("hookreader");
        Writer = await Site.CreateUserAsync("hookwriter");
        RepoAdmin = await Site.CreateUserAsync("hookadmin");
        Outsider = await Site.CreateUserAsync("hookoutsider");
        await CreateRepositoryAsync(Repo);
        foreach (var (actor, level) in new[] { (Reader, "read"), (Writer, "write"), (RepoAdmin, "admin") })
        {
            await SendAsync(Owner, HttpMethod.Put, $"api/v1/repositories/{Repo}/-/collaborators/users/{actor.Name}", new JsonObject { ["level"] = level }, HttpStatusCode.NoContent);
        }

        await SendAsync(Owner, HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = Org }, HttpStatusCode.Created);
        await SendAsync(Owner, HttpMethod.Put, $"api/v1/orgs/{Org}/members/{Reader.Name}", new JsonObject { ["role"] = "member" }, HttpStatusCode.NoContent);
    }

    /// <summary>A private repository of <see cref="Owner"/>.</summary>
    public Task CreateRepositoryAsync(string name) =>
        SendAsync(Owner, HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = name, ["visibility"] = "private" }, HttpStatusCode.Created);

    /// <summary>Creates a webhook (201) and returns its answer.</summary>
    public async Task<JsonNode> CreateWebhookAsync(Actor actor, string webhooksPath, string url = "https://receiver.example/hook")
    {
        using var response = await actor.SendAsync(HttpMethod.Post, webhooksPath, new JsonObject { ["url"] = url });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return await Json.ReadAsync(response);
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();

    private static async Task SendAsync(Actor actor, HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        using var response = await actor.SendAsync(method, path, body);
        await Expect.StatusAsync(response, expected);
    }
}

/// <summary>Issue 12, webhook management: the REST API's round trip, validation, permissions and scopes.</summary>
public sealed partial class WebhookApiTests(WebhookApiFixture fixture) : IClassFixture<WebhookApiFixture>
{
    private string RepoHooks => $"api/v1/repositories/{fixture.Repo}/-/webhooks";

    private string OrgHooks => $"api/v1/orgs/{fixture.Org}/webhooks";

    private const string UserHooks = "api/v1/user/webhooks";

    [Fact]
    public async Task Create_list_get_update_rotate_and_delete_round_trip_and_the_secret_is_shown_only_twice()
    {
        var owner = fixture.Owner;
        using var created = await owner.SendAsync(HttpMethod.Post, RepoHooks, new JsonObject
        {
            ["url"] = "https://receiver.example/hook",
            ["events"] = new JsonArray("tag.deleted", "push", "push"),
            ["description"] = "CI",
        });
        await Expect.StatusAsync(created, HttpStatusCode.Created);
        var body = await Json.ReadAsync(created);
        var id = (long)body["id"]!;
        var secret = (string)body["secret"]!;
        AssertSecretFormat(secret);
        Assert.Equal(["push", "tag.deleted"], Events(body));
        Assert.True((bool)body["enabled"]!);
        Assert.EndsWith($"/{fixture.Repo}/-/webhooks/{id}", created.Headers.Location!.ToString(), StringComparison.Ordinal);

        var listed = Assert.Single((await owner.GetJsonAsync(RepoHooks)).AsArray(), w => (long)w!["id"]! == id)!;
        Assert.Equal("https://receiver.example/hook", (string)listed["url"]!);
        Assert.Null(listed["secret"]);
        var one = await owner.GetJsonAsync($"{RepoHooks}/{id}");
        Assert.Equal("CI", (string)one["description"]!);
        Assert.Equal(owner.Name, (string)one["createdBy"]!);
        Assert.Null(one["secret"]);
        Assert.DoesNotContain(secret, one.ToJsonString(), StringComparison.Ordinal);

        using (var patched = await owner.SendAsync(HttpMethod.Patch, $"{RepoHooks}/{id}", new JsonObject
        {
            ["url"] = "http://receiver.example:8080/other",
            ["events"] = new JsonArray("star"),
            ["enabled"] = false,
            ["description"] = "",
        }))
        {
            await Expect.StatusAsync(patched, HttpStatusCode.OK);
            var updated = await Json.ReadAsync(patched);
            Assert.Equal("http://receiver.example:8080/other", (string)updated["url"]!);
            Assert.Equal(["star"], Events(updated));
            Assert.False((bool)updated["enabled"]!);
            Assert.Null(updated["description"]);
            Assert.Null(updated["secret"]);
        }

        // Absent fields stay as they were.
        using (var enabled = await owner.SendAsync(HttpMethod.Patch, $"{RepoHooks}/{id}", new JsonObject { ["enabled"] = true }))
        {
            await Expect.StatusAsync(enabled, HttpStatusCode.OK);
            var updated = await Json.ReadAsync(enabled);
            Assert.True((bool)updated["enabled"]!);
            Assert.Equal(["star"], Events(updated));
            Assert.Equal("http://receiver.example:8080/other", (string)updated["url"]!);
        }

        using var rotated = await owner.SendAsync(HttpMethod.Post, $"{RepoHooks}/{id}/rotate-secret");
        await Expect.StatusAsync(rotated, HttpStatusCode.OK);
        var newSecret = (string)(await Json.ReadAsync(rotated))["secret"]!;
        AssertSecretFormat(newSecret);
        Assert.NotEqual(secret, newSecret);
        Assert.Null((await owner.GetJsonAsync($"{RepoHooks}/{id}"))["secret"]);

        using (var deleted = await owner.SendAsync(HttpMethod.Delete, $"{RepoHooks}/{id}"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        using (var gone = await owner.SendAsync(HttpMethod.Get, $"{RepoHooks}/{id}"))
        {
            await Expect.StatusAsync(gone, HttpStatusCode.NotFound);
        }

        Assert.DoesNotContain((await owner.GetJsonAsync(RepoHooks)).AsArray(), w => (long)w!["id"]! == id);

        var entries = (await fixture.Site.Admin.GetJsonAsync("api/v1/audit?n=100")).AsArray();
        var actions = entries
            .Where(e => (string?)e!["target"] == fixture.Repo && ((string?)e["detail"])?.StartsWith($"webhook {id}:", StringComparison.Ordinal) == true)
            .Select(e => (string)e!["action"]!);
        Assert.Equal(new[] { "webhook.created", "webhook.deleted", "webhook.secret.rotated", "webhook.updated" }, actions.Distinct().Order(StringComparer.Ordinal));
        Assert.DoesNotContain(secret, entries.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(newSecret, entries.ToJsonString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> InvalidBodies() => new()
    {
        { """{"url":"/relative"}""", "url must be an absolute http or https URL" },
        { """{"url":"ftp://receiver.example/x"}""", "url must be an absolute http or https URL" },
        { """{"url":"https://user:pw@receiver.example/x"}""", "url must not carry a user name or password" },
        { $$"""{"url":"https://receiver.example/{{new string('a', 2049)}}"}""", "url is limited to 2048 characters" },
        { """{"url":"https://receiver.example/x","events":[]}""", "events must name at least one" },
        { """{"url":"https://receiver.example/x","events":["push","pushed","Star"]}""", "events has unknown event types: 'pushed', 'Star'" },
        { """{"url":"https://receiver.example/x","events":["ping"]}""", "events has unknown event types: 'ping'" },
        { $$"""{"url":"https://receiver.example/x","description":"{{new string('d', 1001)}}"}""", "description is limited to 1000 characters" },
        { """{"events":["push"]}""", "url" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_settings_are_a_400_problem_naming_the_field(string json, string message)
    {
        foreach (var (method, path) in new[] { (HttpMethod.Post, RepoHooks), (HttpMethod.Patch, $"{RepoHooks}/{await AnyRepoWebhookAsync()}") })
        {
            if (method == HttpMethod.Patch && json.StartsWith("""{"events":["push"]}""", StringComparison.Ordinal))
            {
                continue; // url is optional in a PATCH
            }

            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = fixture.Owner.Basic;
            using var response = await fixture.Site.NewClient().SendAsync(request);
            await Expect.StatusAsync(response, HttpStatusCode.BadRequest);
            Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            var problem = await Json.ReadAsync(response);
            Assert.Contains(message, (string)problem["detail"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Only_repository_admins_manage_its_webhooks_and_outsiders_see_the_repositorys_own_404()
    {
        var id = await AnyRepoWebhookAsync();
        var create = new JsonObject { ["url"] = "https://receiver.example/x" };

        // Anonymous: 401 with the challenge, whatever the repository.
        foreach (var path in new[] { RepoHooks, $"{RepoHooks}/{id}", $"api/v1/repositories/{fixture.Owner.Name}/never/-/webhooks" })
        {
            using var anonymous = await fixture.Site.Anonymous.SendAsync(HttpMethod.Get, path);
            await Expect.StatusAsync(anonymous, HttpStatusCode.Unauthorized);
            Assert.StartsWith("Basic", Expect.Challenge(anonymous), StringComparison.Ordinal);
        }

        // An outsider: exactly the 404 the repository itself gives, and the one a never-created name gives.
        var repository = await AnswerAsync(fixture.Outsider, HttpMethod.Get, $"api/v1/repositories/{fixture.Repo}");
        Assert.Equal(HttpStatusCode.NotFound, repository.Status);
        foreach (var (method, resource, body) in Operations(id, create))
        {
            var real = await AnswerAsync(fixture.Outsider, method, $"api/v1/repositories/{fixture.Repo}/-/{resource}", body);
            Assert.True(real == repository, $"{method} {resource}: {real} vs the repository's {repository}");
            var ghostName = $"{fixture.Owner.Name}/hooks/never";
            var ghost = await AnswerAsync(fixture.Outsider, method, $"api/v1/repositories/{ghostName}/-/{resource}", body);
            Assert.Equal(real.Body.Replace(fixture.Repo, ghostName, StringComparison.Ordinal), ghost.Body);
        }

        // Readers and writers see the repository but may not manage its webhooks.
        foreach (var actor in new[] { fixture.Reader, fixture.Writer })
        {
            foreach (var (method, resource, body) in Operations(id, create))
            {
                var answer = await AnswerAsync(actor, method, $"api/v1/repositories/{fixture.Repo}/-/{resource}", body);
                Assert.True(answer.Status == HttpStatusCode.Forbidden, $"{actor} {method} {resource}: {answer}");
            }
        }

        // A credential without the admin scope is refused even for the owner.
        var (_, writeToken) = await fixture.Owner.CreateAccessTokenAsync("write");
        Assert.Equal(HttpStatusCode.Forbidden, (await AnswerAsync(fixture.Owner.WithSecret(writeToken), HttpMethod.Get, RepoHooks)).Status);

        // Repository admins and site admins may.
        var byAdmin = await fixture.CreateWebhookAsync(fixture.RepoAdmin, RepoHooks);
        Assert.Contains((await fixture.RepoAdmin.GetJsonAsync(RepoHooks)).AsArray(), w => (long)w!["id"]! == id);
        Assert.Contains((await fixture.Site.Admin.GetJsonAsync(RepoHooks)).AsArray(), w => (long)w!["id"]! == (long)byAdmin["id"]!);
        using var deleted = await fixture.Site.Admin.SendAsync(HttpMethod.Delete, $"{RepoHooks}/{(long)byAdmin["id"]!}");
        await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Organisation_webhooks_are_for_its_owners_and_site_admins()
    {
        var hook = await fixture.CreateWebhookAsync(fixture.Owner, OrgHooks);
        var id = (long)hook["id"]!;
        var create = new JsonObject { ["url"] = "https://receiver.example/x" };

        using (var anonymous = await fixture.Site.Anonymous.SendAsync(HttpMethod.Get, OrgHooks))
        {
            await Expect.StatusAsync(anonymous, HttpStatusCode.Unauthorized);
        }

        // Members and non-members alike: 403, as the organisation's other owner-only operations answer.
        foreach (var actor in new[] { fixture.Reader, fixture.Outsider })
        {
            foreach (var (method, resource, body) in Operations(id, create))
            {
                var answer = await AnswerAsync(actor, method, $"api/v1/orgs/{fixture.Org}/{resource}", body);
                Assert.True(answer.Status == HttpStatusCode.Forbidden, $"{actor} {method} {resource}: {answer}");
            }
        }

        Assert.Equal(HttpStatusCode.NotFound, (await AnswerAsync(fixture.Owner, HttpMethod.Get, "api/v1/orgs/no-such-org-here/webhooks")).Status);
        Assert.Contains((await fixture.Owner.GetJsonAsync(OrgHooks)).AsArray(), w => (long)w!["id"]! == id);
        Assert.Contains((await fixture.Site.Admin.GetJsonAsync(OrgHooks)).AsArray(), w => (long)w!["id"]! == id);
        Assert.Equal("https://receiver.example/hook", (string)(await fixture.Site.Admin.GetJsonAsync($"{OrgHooks}/{id}"))["url"]!);
    }

    [Fact]
    public async Task User_webhooks_are_the_callers_own_and_ids_never_cross_scopes()
    {
        var userHook = (long)(await fixture.CreateWebhookAsync(fixture.Owner, UserHooks))["id"]!;
        var repoHook = await AnyRepoWebhookAsync();
        var orgHook = (long)(await fixture.CreateWebhookAsync(fixture.Owner, OrgHooks))["id"]!;
        var otherRepo = $"{fixture.Owner.Name}/hooks/other";
        await fixture.CreateRepositoryAsync(otherRepo);
        var otherRepoHook = (long)(await fixture.CreateWebhookAsync(fixture.Owner, $"api/v1/repositories/{otherRepo}/-/webhooks"))["id"]!;

        Assert.Contains((await fixture.Owner.GetJsonAsync(UserHooks)).AsArray(), w => (long)w!["id"]! == userHook);
        Assert.DoesNotContain((await fixture.Outsider.GetJsonAsync(UserHooks)).AsArray(), w => (long)w!["id"]! == userHook);

        // Every id reached through a scope it does not belong to is a 404, for every operation, even for the one
        // who administers both scopes.
        var misrouted = new List<(Actor Actor, string Scope, long Id)>
        {
            (fixture.Outsider, UserHooks, userHook),
            (fixture.Owner, UserHooks, repoHook),
            (fixture.Owner, UserHooks, orgHook),
            (fixture.Owner, OrgHooks, userHook),
            (fixture.Owner, OrgHooks, repoHook),
            (fixture.Owner, RepoHooks, userHook),
            (fixture.Owner, RepoHooks, orgHook),
            (fixture.Owner, RepoHooks, otherRepoHook),
            (fixture.Owner, $"api/v1/repositories/{otherRepo}/-/webhooks", repoHook),
        };
        foreach (var (actor, scope, id) in misrouted)
        {
            foreach (var (method, resource, body) in Operations(id, null).Where(o => o.Resource != "webhooks"))
            {
                var answer = await AnswerAsync(actor, method, $"{scope}/{resource["webhooks/".Length..]}", body);
                Assert.True(answer.Status == HttpStatusCode.NotFound, $"{actor} {method} {scope}/{resource}: {answer}");
            }
        }

        // Nothing changed on the way.
        Assert.NotNull((await fixture.Owner.GetJsonAsync($"{UserHooks}/{userHook}"))["id"]);
        Assert.NotNull((await fixture.Owner.GetJsonAsync($"{RepoHooks}/{repoHook}"))["id"]);
    }

    [Fact]
    public async Task The_delivery_log_lists_newest_first_and_shows_one_delivery_with_its_attempts_in_its_scope_only()
    {
        var id = (long)(await fixture.CreateWebhookAsync(fixture.Owner, UserHooks))["id"]!;
        var server = fixture.Site.Server;

        // Deliveries are the delivery worker's to write; this test writes two as it would and reads them back.
        var first = await InsertDeliveryAsync(server, id, "msg_first", "push", state: 1, attempts: 2);
        var second = await InsertDeliveryAsync(server, id, "msg_second", "ping", state: 0, attempts: 0);
        await ServerDatabase.ScalarAsync(server,
            """INSERT INTO webhook_attempts ("DeliveryId", "At", "StatusCode", "DurationMs", "ResponseExcerpt", "Error") VALUES (@p0, @p1, NULL, 5000, NULL, 'timed out')""",
            first, new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc));
        await ServerDatabase.ScalarAsync(server,
            """INSERT INTO webhook_attempts ("DeliveryId", "At", "StatusCode", "DurationMs", "ResponseExcerpt", "Error") VALUES (@p0, @p1, 204, 12, 'ok', NULL)""",
            first, new DateTime(2026, 1, 1, 0, 0, 30, DateTimeKind.Utc));

        var log = (await fixture.Owner.GetJsonAsync($"{UserHooks}/{id}/deliveries")).AsArray();
        Assert.Equal([second, first], log.Select(d => (long)d!["id"]!));
        Assert.Equal("delivered", (string)log[1]!["state"]!);
        Assert.Equal(204, (int)log[1]!["lastStatusCode"]!);
        Assert.Equal("msg_first", (string)log[1]!["messageId"]!);
        Assert.Equal("pending", (string)log[0]!["state"]!);
        Assert.Null(log[0]!["lastStatusCode"]);
        Assert.Single((await fixture.Owner.GetJsonAsync($"{UserHooks}/{id}/deliveries?n=1")).AsArray());

        var one = await fixture.Owner.GetJsonAsync($"{UserHooks}/{id}/deliveries/{first}");
        Assert.Equal("""{"event":"msg_first"}""", (string)one["payload"]!);
        var attempts = one["attemptLog"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Null(attempts[0]!["statusCode"]);
        Assert.Equal("timed out", (string)attempts[0]!["error"]!);
        Assert.Equal(5000, (int)attempts[0]!["durationMs"]!);
        Assert.Equal(204, (int)attempts[1]!["statusCode"]!);
        Assert.Equal("ok", (string)attempts[1]!["responseExcerpt"]!);

        // Two arguments in a repository's route: through the catch-all (a name with slashes) and the documented
        // {name} route (the name as one %2F-encoded segment).
        var repoHook = await AnyRepoWebhookAsync();
        var repoDelivery = await InsertDeliveryAsync(server, repoHook, "msg_repo", "push", state: 2, attempts: 1);
        var encoded = Uri.EscapeDataString(fixture.Repo);
        foreach (var path in new[] { $"{RepoHooks}/{repoHook}/deliveries/{repoDelivery}", $"api/v1/repositories/{encoded}/-/webhooks/{repoHook}/deliveries/{repoDelivery}" })
        {
            var details = await fixture.Owner.GetJsonAsync(path);
            Assert.Equal("failed", (string)details["state"]!);
            Assert.Equal("""{"event":"msg_repo"}""", (string)details["payload"]!);
        }

        // Another scope's delivery, or this delivery under another webhook, is not found.
        var other = (long)(await fixture.CreateWebhookAsync(fixture.Owner, UserHooks))["id"]!;
        foreach (var (actor, path) in new[]
        {
            (fixture.Owner, $"{UserHooks}/{other}/deliveries/{first}"),
            (fixture.Owner, $"{RepoHooks}/{id}/deliveries/{first}"),
            (fixture.Outsider, $"{UserHooks}/{id}/deliveries/{first}"),
            (fixture.Outsider, $"{UserHooks}/{id}/deliveries"),
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await AnswerAsync(actor, HttpMethod.Get, path)).Status);
            if (!path.EndsWith("/deliveries", StringComparison.Ordinal))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await AnswerAsync(actor, HttpMethod.Post, $"{path}/redeliver")).Status);
            }
        }
    }

    [Fact]
    public async Task Deleting_the_repository_deletes_its_webhooks()
    {
        var name = $"{fixture.Owner.Name}/hooks/doomed";
        await fixture.CreateRepositoryAsync(name);
        var id = (long)(await fixture.CreateWebhookAsync(fixture.Owner, $"api/v1/repositories/{name}/-/webhooks"))["id"]!;
        var delivery = await InsertDeliveryAsync(fixture.Site.Server, id, "msg_doomed", "push", state: 0, attempts: 0);
        Assert.Equal(1L, Convert.ToInt64(await ServerDatabase.ScalarAsync(fixture.Site.Server, """SELECT COUNT(*) FROM webhooks WHERE "Id" = @p0""", id)));

        using (var deleted = await fixture.Owner.SendAsync(HttpMethod.Delete, $"api/v1/repositories/{name}"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        Assert.Equal(0L, Convert.ToInt64(await ServerDatabase.ScalarAsync(fixture.Site.Server, """SELECT COUNT(*) FROM webhooks WHERE "Id" = @p0""", id)));
        Assert.Equal(0L, Convert.ToInt64(await ServerDatabase.ScalarAsync(fixture.Site.Server, """SELECT COUNT(*) FROM webhook_deliveries WHERE "Id" = @p0""", delivery)));

        // A repository of the same name made again starts without webhooks.
        await fixture.CreateRepositoryAsync(name);
        Assert.Empty((await fixture.Owner.GetJsonAsync($"api/v1/repositories/{name}/-/webhooks")).AsArray());
    }

    [Fact]
    public async Task Thirty_parallel_creates_in_one_scope_make_exactly_twenty()
    {
        var name = $"{fixture.Owner.Name}/hooks/crowded";
        await fixture.CreateRepositoryAsync(name);
        var path = $"api/v1/repositories/{name}/-/webhooks";
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => AnswerAsync(fixture.Owner, HttpMethod.Post, path, new JsonObject { ["url"] = $"https://receiver.example/{i}" })));

        Assert.Equal(20, answers.Count(a => a.Status == HttpStatusCode.Created));
        var refused = answers.Where(a => a.Status != HttpStatusCode.Created).ToList();
        Assert.Equal(10, refused.Count);
        Assert.All(refused, a => Assert.True(a.Status == HttpStatusCode.Conflict && a.Body.Contains("already has 20 webhooks", StringComparison.Ordinal), a.ToString()));
        Assert.Equal(20, (await fixture.Owner.GetJsonAsync(path)).AsArray().Count);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_webhook_route_in_every_scope()
    {
        var document = await fixture.Site.Anonymous.GetJsonAsync("api/v1/openapi.json");
        var paths = document["paths"]!.AsObject();
        string[] routes =
        [
            "GET webhooks", "POST webhooks", "GET webhooks/{id}", "PATCH webhooks/{id}", "DELETE webhooks/{id}",
            "POST webhooks/{id}/rotate-secret", "POST webhooks/{id}/ping", "GET webhooks/{id}/deliveries",
            "GET webhooks/{id}/deliveries/{delivery}", "POST webhooks/{id}/deliveries/{delivery}/redeliver",
        ];
        foreach (var scope in new[] { "/api/v1/repositories/{name}/-/", "/api/v1/orgs/{org}/", "/api/v1/user/" })
        {
            foreach (var route in routes)
            {
                var (method, resource) = (route[..route.IndexOf(' ', StringComparison.Ordinal)], route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
                var operation = paths[scope + resource]?[method.ToLowerInvariant()];
                Assert.True(operation is not null, $"{method} {scope}{resource} is not documented");
                Assert.False(string.IsNullOrEmpty((string?)operation["summary"]), $"{method} {scope}{resource} has no summary");
                Assert.Contains("Webhooks", operation["tags"]!.AsArray().Select(t => (string?)t));
                var parameters = operation["parameters"]?.AsArray().Select(p => (string?)p!["name"]).ToList() ?? [];
                foreach (Match argument in RouteParameter().Matches(scope + resource))
                {
                    Assert.Contains(argument.Groups[1].Value, parameters);
                }
            }
        }

        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var schema in new[] { "Webhook", "CreatedWebhook", "CreateWebhookRequest", "UpdateWebhookRequest", "WebhookDeliverySummary", "WebhookDeliveryDetails" })
        {
            Assert.True(schemas.ContainsKey(schema), $"schema {schema} missing");
        }
    }

    /// <summary>Every webhook operation on one webhook id, as (method, resource after the scope, body).</summary>
    private static IEnumerable<(HttpMethod Method, string Resource, JsonNode? Body)> Operations(long id, JsonNode? create) =>
    [
        (HttpMethod.Get, "webhooks", null),
        (HttpMethod.Post, "webhooks", create?.DeepClone() ?? new JsonObject { ["url"] = "https://receiver.example/x" }),
        (HttpMethod.Get, $"webhooks/{id}", null),
        (HttpMethod.Patch, $"webhooks/{id}", new JsonObject { ["enabled"] = false }),
        (HttpMethod.Delete, $"webhooks/{id}", null),
        (HttpMethod.Post, $"webhooks/{id}/rotate-secret", null),
        (HttpMethod.Post, $"webhooks/{id}/ping", null),
        (HttpMethod.Get, $"webhooks/{id}/deliveries", null),
        (HttpMethod.Get, $"webhooks/{id}/deliveries/1", null),
        (HttpMethod.Post, $"webhooks/{id}/deliveries/1/redeliver", null),
    ];

    private async Task<long> AnyRepoWebhookAsync()
    {
        var existing = (await fixture.Owner.GetJsonAsync(RepoHooks)).AsArray().FirstOrDefault();
        return existing is not null ? (long)existing["id"]! : (long)(await fixture.CreateWebhookAsync(fixture.Owner, RepoHooks))["id"]!;
    }

    private static async Task<long> InsertDeliveryAsync(Berth.Testing.RegistryServer server, long webhookId, string messageId, string eventType, int state, int attempts)
    {
        var id = await ServerDatabase.ScalarAsync(server,
            """INSERT INTO webhook_deliveries ("WebhookId", "MessageId", "EventType", "Payload", "CreatedAt", "State", "Attempts") VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6) RETURNING "Id" """,
            webhookId, messageId, eventType, $$"""{"event":"{{messageId}}"}""", DateTime.UtcNow, state, attempts);
        return Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AssertSecretFormat(string secret)
    {
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
    }

    private static List<string> Events(JsonNode webhook) => webhook["events"]!.AsArray().Select(e => (string)e!).ToList();

    private static async Task<Answer> AnswerAsync(Actor actor, HttpMethod method, string path, JsonNode? body = null)
    {
        using var response = await actor.SendAsync(method, path, body?.DeepClone());
        var text = TraceIds().Replace(await response.Content.ReadAsStringAsync(), "\"$1\":\"…\"");
        return new Answer(response.StatusCode, text);
    }

    [GeneratedRegex("\"(traceId|requestId)\"\\s*:\\s*\"[^\"]*\"")]
    private static partial Regex TraceIds();

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex RouteParameter();

    private sealed record Answer(HttpStatusCode Status, string Body)
    {
        public override string ToString() => $"{(int)Status} {Body}";
    }
}
