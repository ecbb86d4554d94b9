using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Security.Tests;

/// <summary>
/// An organisation with a public and a private repository (one image each) and one actor per kind of access:
/// anonymous, an unrelated user, user collaborators with read, write and admin, a member of an org team that has
/// read on both repositories, and the site admin. Also a name in the org that was never created.
/// </summary>
public sealed class MatrixFixture : IAsyncLifetime
{
    public static readonly string[] ActorKeys = ["anonymous", "other", "read", "write", "admin", "team", "site-admin"];

    private readonly Dictionary<string, Actor> _actors = [];

    public Site Site { get; private set; } = null!;

    public string Org { get; } = "acme" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public Actor Owner { get; private set; } = null!;

    public string Public => $"{Org}/shown";

    public string Private => $"{Org}/hidden";

    public string Ghost => $"{Org}/never-created";

    public Dictionary<string, ImageFixture> Images { get; } = [];

    /// <summary>Per repository and actor key: an image under the tag <c>del-&lt;actor&gt;</c> for that actor to try deleting.</summary>
    public Dictionary<(string Repo, string Actor), ImageFixture> Doomed { get; } = [];

    /// <summary>Per repository and actor key: the id of a comment by the owner, for that actor to try deleting.</summary>
    public Dictionary<(string Repo, string Actor), long> OwnerComments { get; } = [];

    public Actor this[string key] => _actors[key];

    public async Task InitializeAsync()
    {
        Site = await Site.StartAsync();
        Owner = await Site.CreateUserAsync("owner");
        using (var org = await Owner.SendAsync(HttpMethod.Post, "api/v1/orgs", new JsonObject { ["name"] = Org, ["membersCanCreateRepositories"] = false }))
        {
            await Expect.StatusAsync(org, HttpStatusCode.Created);
        }

        _actors["anonymous"] = Site.Anonymous;
        _actors["site-admin"] = Site.Admin;
        foreach (var key in new[] { "other", "read", "write", "admin", "team" })
        {
            _actors[key] = await Site.CreateUserAsync(key);
        }

        await SendAsync(Owner, HttpMethod.Post, $"api/v1/orgs/{Org}/teams", new JsonObject { ["name"] = "readers" }, HttpStatusCode.Created);
        await SendAsync(Owner, HttpMethod.Put, $"api/v1/orgs/{Org}/teams/readers/members/{_actors["team"].Name}", null, HttpStatusCode.NoContent);

        var factory = new ImageFactory();
        foreach (var (repo, visibility) in new[] { (Public, "public"), (Private, "private") })
        {
            await SendAsync(Owner, HttpMethod.Post, "api/v1/repositories", new JsonObject
            {
                ["name"] = repo,
                ["visibility"] = visibility,
                ["description"] = $"matrix {visibility} repository of {Org}",
            }, HttpStatusCode.Created);
            foreach (var level in new[] { "read", "write", "admin" })
            {
                await SendAsync(Owner, HttpMethod.Put, $"api/v1/repositories/{repo}/-/collaborators/users/{_actors[level].Name}", new JsonObject { ["level"] = level }, HttpStatusCode.NoContent);
            }

            await SendAsync(Owner, HttpMethod.Put, $"api/v1/repositories/{repo}/-/collaborators/teams/readers", new JsonObject { ["level"] = "read" }, HttpStatusCode.NoContent);
            Images[repo] = factory.CreateImage(layers: 1, maxFileBytes: 2048);
            await V2.PushImageAsync(Owner.Registry, repo, Images[repo], "v1");
            foreach (var key in ActorKeys)
            {
                var doomed = factory.CreateImage(layers: 1, filesPerLayer: 1, maxFileBytes: 256);
                Doomed[(repo, key)] = doomed;
                await V2.PushImageAsync(Owner.Registry, repo, doomed, $"del-{key}");
                using var comment = await Owner.SendAsync(HttpMethod.Post, $"api/v1/repositories/{repo}/-/comments", new JsonObject { ["body"] = $"for {key} to try deleting" });
                await Expect.StatusAsync(comment, HttpStatusCode.Created);
                OwnerComments[(repo, key)] = (long)(await Json.ReadAsync(comment))["id"]!;
            }
        }
    }

    public async Task DisposeAsync() => await Site.DisposeAsync();

    private static async Task SendAsync(Actor actor, HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        using var response = await actor.SendAsync(method, path, body);
        await Expect.StatusAsync(response, expected);
    }
}

/// <summary>
/// Issue 3's visibility matrix: every actor × every operation × a public and a private repository. Each cell is
/// either allowed (and works), denied (the repository is visible, the action is not the actor's: nothing changes),
/// or invisible (the answer is exactly the one for a name that was never created).
/// </summary>
public sealed class VisibilityMatrixTests(MatrixFixture fixture, ITestOutputHelper output) : IClassFixture<MatrixFixture>
{
    private enum Level
    {
        None,
        Read,
        Write,
        Admin,
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var actor in MatrixFixture.ActorKeys)
        {
            data.Add(actor, "public");
            data.Add(actor, "private");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_operation_is_allowed_denied_or_invisible_as_the_rules_say(string actorKey, string visibility)
    {
        var actor = fixture[actorKey];
        var repo = visibility == "public" ? fixture.Public : fixture.Private;
        var level = LevelOf(actorKey, visibility);
        var image = fixture.Images[repo];
        var cells = new List<string>();
        var failures = new List<string>();

        void Cell(string operation, bool ok, string expectation, string actual)
        {
            cells.Add($"{operation}: {expectation}");
            if (!ok)
            {
                failures.Add($"{actorKey} × {operation} × {visibility}: expected {expectation}, got {actual}");
            }
        }

        // Invisible: the same status, the same body and the same challenge as for the never-created name (names
        // swapped), and nothing of the repository in it.
        async Task Invisible(string operation, Func<string, Task<Answer>> probe)
        {
            var real = await probe(repo);
            var ghost = await probe(fixture.Ghost);
            var body = real.Body.Replace(repo, fixture.Ghost, StringComparison.Ordinal);
            var challenge = real.Challenge?.Replace(repo, fixture.Ghost, StringComparison.Ordinal);
            var leaks = real.Body.Contains(image.Manifest.Digest, StringComparison.Ordinal) || real.Body.Contains("\"v1\"", StringComparison.Ordinal);
            Cell(operation, real.Status == ghost.Status && (int)real.Status >= 400 && body == ghost.Body && challenge == ghost.Challenge && !leaks,
                $"invisible (as the never-created name: {(int)ghost.Status})",
                $"{(int)real.Status} {Clip(real.Body)} [{real.Challenge}] vs never-created {(int)ghost.Status} {Clip(ghost.Body)} [{ghost.Challenge}]");
        }

        // ---- /v2: catalog, tags, manifest, blob --------------------------------------------------------------------
        var catalog = await V2Async(actor, HttpMethod.Get, "v2/_catalog?n=1000");
        var listed = catalog.Status == HttpStatusCode.OK && Names(catalog.Body, "repositories").Contains(repo);
        Cell("catalog", catalog.Status == HttpStatusCode.OK && listed == (level >= Level.Read),
            level >= Level.Read ? "listed" : "not listed", $"{(int)catalog.Status} {Clip(catalog.Body)}");

        if (level >= Level.Read)
        {
            var tags = await V2Async(actor, HttpMethod.Get, $"v2/{repo}/tags/list");
            Cell("tag list", tags.Status == HttpStatusCode.OK && Names(tags.Body, "tags").Contains("v1"), "allowed", $"{(int)tags.Status} {Clip(tags.Body)}");
            var manifest = await V2BytesAsync(actor, $"v2/{repo}/manifests/v1");
            Cell("manifest pull", manifest.Status == HttpStatusCode.OK && manifest.Body.SequenceEqual(image.Manifest.Bytes), "allowed", $"{(int)manifest.Status}");
            var blob = await V2BytesAsync(actor, $"v2/{repo}/blobs/{image.Layers[0].Digest}");
            Cell("blob pull", blob.Status == HttpStatusCode.OK && blob.Body.SequenceEqual(image.Layers[0].Bytes), "allowed", $"{(int)blob.Status}");
        }
        else
        {
            await Invisible("tag list", r => V2Async(actor, HttpMethod.Get, $"v2/{r}/tags/list"));
            await Invisible("manifest pull", r => V2Async(actor, HttpMethod.Get, $"v2/{r}/manifests/v1"));
            await Invisible("manifest HEAD", r => V2Async(actor, HttpMethod.Head, $"v2/{r}/manifests/{image.Manifest.Digest}"));
            await Invisible("referrers", r => V2Async(actor, HttpMethod.Get, $"v2/{r}/referrers/{image.Manifest.Digest}"));
            await Invisible("blob pull", r => V2Async(actor, HttpMethod.Get, $"v2/{r}/blobs/{image.Layers[0].Digest}"));
        }

        // ---- /v2: push and delete ---------------------------------------------------------------------------------
        var pushed = new ImageFactory().CreateImage(layers: 1, filesPerLayer: 1, maxFileBytes: 256);
        var pushTag = $"push-{actorKey}";
        var push = await V2.TryPushImageAsync(actor.Registry, repo, pushed, pushTag);
        var landed = await OwnerSeesAsync($"v2/{repo}/manifests/{pushTag}");
        if (level >= Level.Write)
        {
            Cell("push", push == HttpStatusCode.Created && landed, "allowed", $"{(int)push}, landed: {landed}");
        }
        else
        {
            // Refused before anything is stored, with the same answer as for a name the actor may not create.
            Cell("push", push == HttpStatusCode.Unauthorized && !landed, level >= Level.Read ? "denied (401)" : "invisible (401, as for a name one may not create)", $"{(int)push}, landed: {landed}");
        }

        var doomed = fixture.Doomed[(repo, actorKey)];
        var delete = await V2Async(actor, HttpMethod.Delete, $"v2/{repo}/manifests/{doomed.Manifest.Digest}");
        var survived = await OwnerSeesAsync($"v2/{repo}/manifests/{doomed.Manifest.Digest}");
        if (level >= Level.Admin)
        {
            Cell("delete", delete.Status == HttpStatusCode.Accepted && !survived, "allowed", $"{(int)delete.Status}, still there: {survived}");
        }
        else if (level >= Level.Read)
        {
            Cell("delete", delete.Status == HttpStatusCode.Unauthorized && survived, "denied (401)", $"{(int)delete.Status} {Clip(delete.Body)}, still there: {survived}");
        }
        else
        {
            await Invisible("delete", r => V2Async(actor, HttpMethod.Delete, $"v2/{r}/manifests/{doomed.Manifest.Digest}"));
            Assert.True(await OwnerSeesAsync($"v2/{repo}/manifests/{doomed.Manifest.Digest}"), "an invisible delete deleted");
        }

        // ---- search ----------------------------------------------------------------------------------------------
        var v1 = await ApiAsync(actor, HttpMethod.Get, $"v1/search?q={fixture.Org}&n=100");
        var v1Listed = v1.Status == HttpStatusCode.OK && ResultNames(v1.Body).Contains(repo);
        Cell("docker v1 search", v1.Status == HttpStatusCode.OK && v1Listed == (level >= Level.Read), level >= Level.Read ? "listed" : "not listed", $"{(int)v1.Status} {Clip(v1.Body)}");
        var rest = await ApiAsync(actor, HttpMethod.Get, $"api/v1/search?q={fixture.Org}&n=100");
        var restListed = rest.Status == HttpStatusCode.OK && ResultNames(rest.Body).Contains(repo);
        Cell("REST search", rest.Status == HttpStatusCode.OK && restListed == (level >= Level.Read), level >= Level.Read ? "listed" : "not listed", $"{(int)rest.Status} {Clip(rest.Body)}");
        var listing = await ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories?namespace={fixture.Org}&n=100");
        var inListing = listing.Status == HttpStatusCode.OK && ResultNames(listing.Body).Contains(repo);
        Cell("REST repository list", listing.Status == HttpStatusCode.OK && inListing == (level >= Level.Read), level >= Level.Read ? "listed" : "not listed", $"{(int)listing.Status} {Clip(listing.Body)}");

        // ---- REST repository, stars, comments ----------------------------------------------------------------------
        if (level >= Level.Read)
        {
            var get = await ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{repo}");
            var json = get.Status == HttpStatusCode.OK ? JsonNode.Parse(get.Body) : null;
            Cell("REST repository GET", json is not null && (string?)json["name"] == repo && (string?)json["visibility"] == visibility,
                "allowed", $"{(int)get.Status} {Clip(get.Body)}");
            var expectedStar = actor.IsAnonymous ? HttpStatusCode.Unauthorized : HttpStatusCode.NoContent;
            var star = await ApiAsync(actor, HttpMethod.Put, $"api/v1/repositories/{repo}/-/star");
            Cell("star", star.Status == expectedStar, actor.IsAnonymous ? "401 (sign in first)" : "allowed", $"{(int)star.Status} {Clip(star.Body)}");
            if (!actor.IsAnonymous)
            {
                var unstar = await ApiAsync(actor, HttpMethod.Delete, $"api/v1/repositories/{repo}/-/star");
                Cell("unstar", unstar.Status == HttpStatusCode.NoContent, "allowed", $"{(int)unstar.Status}");
            }

            var comments = await ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{repo}/-/comments");
            Cell("comment list", comments.Status == HttpStatusCode.OK, "allowed", $"{(int)comments.Status} {Clip(comments.Body)}");
            var comment = await ApiAsync(actor, HttpMethod.Post, $"api/v1/repositories/{repo}/-/comments", new JsonObject { ["body"] = $"hello from {actorKey}" });
            var expectedComment = actor.IsAnonymous ? HttpStatusCode.Unauthorized : HttpStatusCode.Created;
            Cell("comment", comment.Status == expectedComment, actor.IsAnonymous ? "401 (sign in first)" : "allowed", $"{(int)comment.Status} {Clip(comment.Body)}");

            // Changing the repository and moderating others' comments need admin; a visible caller without it gets 403.
            var (expectedChange, changeText) = actor.IsAnonymous ? (HttpStatusCode.Unauthorized, "401 (sign in first)")
                : level >= Level.Admin ? (HttpStatusCode.OK, "allowed") : (HttpStatusCode.Forbidden, "denied (403)");
            var patch = await ApiAsync(actor, HttpMethod.Patch, $"api/v1/repositories/{repo}", new JsonObject { ["description"] = $"edited by {actorKey}" });
            Cell("REST repository PATCH", patch.Status == expectedChange, changeText, $"{(int)patch.Status} {Clip(patch.Body)}");
            if (level < Level.Admin)
            {
                var remove = await ApiAsync(actor, HttpMethod.Delete, $"api/v1/repositories/{repo}");
                Cell("REST repository DELETE", remove.Status == expectedChange && await OwnerSeesAsync($"v2/{repo}/manifests/v1"), changeText, $"{(int)remove.Status} {Clip(remove.Body)}");
                var collaborators = await ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{repo}/-/collaborators");
                Cell("REST collaborators", collaborators.Status == expectedChange, changeText, $"{(int)collaborators.Status} {Clip(collaborators.Body)}");
            }
            else
            {
                var collaborators = await ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{repo}/-/collaborators");
                Cell("REST collaborators", collaborators.Status == HttpStatusCode.OK, "allowed", $"{(int)collaborators.Status} {Clip(collaborators.Body)}");
            }

            var commentId = fixture.OwnerComments[(repo, actorKey)];
            var expectedModeration = actor.IsAnonymous ? HttpStatusCode.Unauthorized
                : level >= Level.Admin ? HttpStatusCode.NoContent : HttpStatusCode.Forbidden;
            var moderate = await ApiAsync(actor, HttpMethod.Delete, $"api/v1/repositories/{repo}/-/comments/{commentId}");
            Cell("delete another's comment", moderate.Status == expectedModeration,
                expectedModeration == HttpStatusCode.NoContent ? "allowed" : expectedModeration == HttpStatusCode.Forbidden ? "denied (403)" : "401 (sign in first)",
                $"{(int)moderate.Status} {Clip(moderate.Body)}");
        }
        else
        {
            await Invisible("REST repository GET", r => ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{r}"));
            await Invisible("REST tags", r => ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{r}/-/tags"));
            await Invisible("star", r => ApiAsync(actor, HttpMethod.Put, $"api/v1/repositories/{r}/-/star"));
            await Invisible("comment list", r => ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{r}/-/comments"));
            await Invisible("comment", r => ApiAsync(actor, HttpMethod.Post, $"api/v1/repositories/{r}/-/comments", new JsonObject { ["body"] = "let me in" }));
            await Invisible("REST repository PATCH", r => ApiAsync(actor, HttpMethod.Patch, $"api/v1/repositories/{r}", new JsonObject { ["visibility"] = "public" }));
            await Invisible("REST repository DELETE", r => ApiAsync(actor, HttpMethod.Delete, $"api/v1/repositories/{r}"));
            await Invisible("REST collaborators", r => ApiAsync(actor, HttpMethod.Get, $"api/v1/repositories/{r}/-/collaborators"));
            var commentId = fixture.OwnerComments[(repo, actorKey)];
            await Invisible("delete another's comment", r => ApiAsync(actor, HttpMethod.Delete, $"api/v1/repositories/{r}/-/comments/{commentId}"));
            Assert.True(await OwnerSeesAsync($"v2/{repo}/manifests/v1"), "an invisible repository was changed");
        }

        output.WriteLine($"{actorKey} on the {visibility} repository ({level}):\n  " + string.Join("\n  ", cells));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static Level LevelOf(string actor, string visibility) => actor switch
    {
        "site-admin" or "admin" => Level.Admin,
        "write" => Level.Write,
        "read" or "team" => Level.Read,
        _ => visibility == "public" ? Level.Read : Level.None,
    };

    /// <summary>A <c>/v2</c> request the way clients make it: challenge, token for the actor, retry.</summary>
    private static async Task<Answer> V2Async(Actor actor, HttpMethod method, string path)
    {
        using var response = await V2.SendAsync(actor.Registry, method, path, token: null);
        return await Answer.ReadAsync(response);
    }

    private static async Task<(HttpStatusCode Status, byte[] Body)> V2BytesAsync(Actor actor, string path)
    {
        using var response = await V2.SendAsync(actor.Registry, HttpMethod.Get, path, token: null);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<Answer> ApiAsync(Actor actor, HttpMethod method, string path, JsonNode? body = null)
    {
        using var response = await actor.SendAsync(method, path, body);
        return await Answer.ReadAsync(response);
    }

    private async Task<bool> OwnerSeesAsync(string path) =>
        (await V2BytesAsync(fixture.Owner, path)).Status == HttpStatusCode.OK;

    private static List<string> Names(string json, string property)
    {
        try
        {
            return (JsonNode.Parse(json)?[property]?.AsArray() ?? []).Select(n => (string)n!).ToList();
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>Repository names in a search answer (Docker's <c>results[].name</c>, the REST <c>results[].name</c>) or a plain list.</summary>
    private static List<string> ResultNames(string json)
    {
        try
        {
            var node = JsonNode.Parse(json);
            var items = node is JsonArray array ? array : node?["results"]?.AsArray() ?? [];
            return items.Select(r => (string?)r?["name"] ?? "").ToList();
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private static string Clip(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>What a request got: status, body, and the challenge if any. Request ids and trace ids are blanked.</summary>
    private sealed record Answer(HttpStatusCode Status, string Body, string? Challenge)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            body = System.Text.RegularExpressions.Regex.Replace(body, "\"(traceId|requestId)\"\\s*:\\s*\"[^\"]*\"", "\"$1\":\"…\"");
            var challenge = response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : null;
            return new Answer(response.StatusCode, body, challenge);
        }
    }
}
