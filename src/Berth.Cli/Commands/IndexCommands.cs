using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Berth.Cli.Output;
using Berth.Client.Auth;
using Berth.Client.Index;
using Berth.Client.References;
using Berth.Client.Registry;

namespace Berth.Cli.Commands;

/// <summary>
/// The index verbs that are not <c>repo</c>: <c>search</c>, <c>star</c>/<c>unstar</c>, <c>comment</c>, <c>comments</c>.
/// They call Berth's index REST API (docs/API.md) with the login stored for the host, and work only against Berth.
/// </summary>
internal static class IndexCommands
{
    public const string RepositoryHelp = "HOST[:PORT]/NAMESPACE/NAME (no :TAG or @DIGEST)";

    private const int DefaultLimit = 25;

    public static Command Search(GlobalOptions globals)
    {
        var term = new Argument<string>("TERM") { Description = "HOST[:PORT]/WORDS, as docker search takes it; HOST[:PORT] alone lists everything you may see" };
        var limit = new Option<int>("--limit") { Description = "Show at most this many results", DefaultValueFactory = _ => DefaultLimit };
        var command = new Command("search", "Search the repositories of a Berth index (names and descriptions; private ones only if you may read them)") { term, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var (registry, query) = SearchTerm(parse.GetValue(term)!);
            var wanted = parse.GetValue(limit);
            if (wanted < 1)
            {
                throw new UsageException("--limit must be at least 1");
            }

            using var index = Index(context, registry);
            var results = new List<RepositorySummary>();
            var total = 0;
            for (var page = 1; results.Count < wanted; page++)
            {
                // Pages of one size, so page N continues where page N-1 stopped.
                var pageSize = Math.Min(wanted, 100);
                var found = await index.SearchAsync(query, page, pageSize, cancellationToken);
                total = found.Total;
                results.AddRange(found.Results.Take(wanted - results.Count));
                if (found.Results.Count < pageSize)
                {
                    break;
                }
            }

            context.Json(new JsonObject
            {
                ["query"] = query,
                ["total"] = total,
                ["results"] = Node(results, IndexJson.Default.ListRepositorySummary),
            });
            foreach (var result in results)
            {
                context.Quiet(result.Name);
            }

            if (context.Mode == OutputMode.Human)
            {
                if (results.Count == 0)
                {
                    context.Error.WriteLine($"nothing found for '{query}' on {registry}");
                    return ExitCodes.Success;
                }

                TextTable.Write(
                    context.Out,
                    ["NAME", "STARS", "PULLS", "DESCRIPTION"],
                    [.. results.Select(r => new[] { r.Name, Count(r.StarCount), Count(r.PullCount), TextTable.OneLine(r.Description) })],
                    1, 2);
                if (total > results.Count)
                {
                    context.Error.WriteLine($"{results.Count} of {total} shown; --limit {total} for all");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Star(GlobalOptions globals, bool star)
    {
        var reference = new Argument<string>("REF") { Description = RepositoryHelp };
        var command = new Command(star ? "star" : "unstar", star ? "Star a repository" : "Remove your star from a repository") { reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = Repository(parse.GetValue(reference)!);
            using var index = Index(context, target.Registry);
            await index.SetStarAsync(target.Repository, star, cancellationToken);
            var repository = await index.GetRepositoryAsync(target.Repository, cancellationToken);
            context.Human($"{(star ? "starred" : "unstarred")} {target} ({repository.StarCount} {(repository.StarCount == 1 ? "star" : "stars")})");
            context.Quiet(Count(repository.StarCount));
            context.Json(new JsonObject { ["name"] = repository.Name, ["starred"] = repository.Starred, ["starCount"] = repository.StarCount });
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Comment(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = RepositoryHelp };
        var text = new Argument<string>("TEXT") { Description = "The comment (Markdown); - reads it from standard input" };
        var command = new Command("comment", "Comment on a repository") { reference, text };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = Repository(parse.GetValue(reference)!);
            var body = parse.GetValue(text)!;
            if (body == "-")
            {
                body = (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd();
            }

            if (string.IsNullOrWhiteSpace(body))
            {
                throw new UsageException("the comment is empty");
            }

            using var index = Index(context, target.Registry);
            var comment = await index.AddCommentAsync(target.Repository, body, cancellationToken);
            context.Human($"commented on {target} (#{comment.Id})");
            context.Quiet(comment.Id.ToString(CultureInfo.InvariantCulture));
            context.Json(Node(comment, IndexJson.Default.RepositoryComment));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Comments(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = RepositoryHelp };
        var command = new Command("comments", "List the comments on a repository, oldest first") { reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var target = Repository(parse.GetValue(reference)!);
            using var index = Index(context, target.Registry);
            var comments = await index.ListCommentsAsync(target.Repository, cancellationToken);
            context.Json(Node(comments.ToList(), IndexJson.Default.ListRepositoryComment));
            foreach (var comment in comments)
            {
                context.Quiet(comment.Id.ToString(CultureInfo.InvariantCulture));
                if (context.Mode == OutputMode.Human)
                {
                    var edited = comment.UpdatedAt is { } updated && updated != comment.CreatedAt ? $" (edited {Time(updated)})" : "";
                    context.Out.WriteLine($"#{comment.Id}  {comment.Author}  {Time(comment.CreatedAt)}{edited}");
                    foreach (var line in comment.Body.ReplaceLineEndings("\n").Split('\n'))
                    {
                        context.Out.WriteLine(("    " + line).TrimEnd());
                    }

                    context.Out.WriteLine();
                }
            }

            if (comments.Count == 0 && context.Mode == OutputMode.Human)
            {
                context.Error.WriteLine($"no comments on {target}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A repository of an index: a registry reference without tag or digest.</summary>
    public static ImageReference Repository(string text)
    {
        var reference = Locations.Registry(text);
        return reference.Tag is null && reference.Digest is null
            ? reference
            : throw new UsageException($"'{text}' names an image; give the repository: {RepositoryHelp}");
    }

    /// <summary>
    /// The index of <paramref name="registry"/>, with the TLS and retry settings of this invocation and its credentials
    /// (or <paramref name="credentials"/>, e.g. none at all for a sign-up).
    /// </summary>
    public static IIndexClient Index(CliContext context, string registry, ICredentialProvider? credentials = null) => IndexClients.Create(registry, new RegistryClientOptions
    {
        PlainHttp = context.PlainHttp,
        Insecure = context.Insecure,
        Credentials = credentials ?? context.Credentials,
        Retry = context.Retry,
        LoggerFactory = context.LoggerFactory,
    });

    public static JsonNode Node<T>(T value, JsonTypeInfo<T> type)
        where T : notnull => JsonSerializer.SerializeToNode(value, type)!;

    /// <summary>ISO 8601 UTC, to the second.</summary>
    public static string Time(DateTime time) =>
        (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>HOST[:PORT]/WORDS</c> → the host and the words; <c>HOST[:PORT]</c> alone → everything.</summary>
    private static (string Registry, string Query) SearchTerm(string text)
    {
        if (text.StartsWith("docker://", StringComparison.Ordinal))
        {
            text = text["docker://".Length..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var registry = slash < 0 ? text : text[..slash];
        var query = slash < 0 ? "" : text[(slash + 1)..];
        return registry.Length > 0 && ImageReference.TryParse(registry + "/x", out var probe, out _) && probe.Registry == registry
            ? (registry, query)
            : throw new UsageException($"'{text}' names no registry: write HOST[:PORT]/TERM, e.g. berth search 127.0.0.1:5000/app");
    }
}
