using System.Globalization;
using System.Text;

namespace Berth.Bench;

/// <summary>
/// Issue 10's comparisons, each a section of its own with its own two columns: Berth on S3 (s3rver) vs Distribution's
/// s3 driver on the same s3rver; Berth on PostgreSQL vs Berth on SQLite; three Berth nodes vs one behind nginx, on
/// PostgreSQL + s3rver. They reuse the workloads and set-up of the Distribution comparison.
/// </summary>
internal sealed partial class Bench
{
    private readonly List<(string Id, string Heading, List<string> Preamble, Results Results)> _sections = [];

    private async Task RunScaleOutAsync(CancellationToken ct)
    {
        if (o.RunsSection("s3"))
        {
            await SectionAsync("s3", "Berth vs Distribution 2.8.2, both on S3 (s3rver)", new Results(), S3SectionAsync, ct);
        }

        if (o.RunsSection("s3files"))
        {
            var results = new Results(Registry.BerthS3, "Berth on S3 (s3rver)", Registry.Berth, "Berth on files");
            await SectionAsync("s3files", "Berth on S3 (s3rver) vs Berth on the filesystem", results, S3FilesSectionAsync, ct);
        }

        if (o.RunsSection("pg"))
        {
            var results = new Results(Registry.BerthPostgres, "Berth on PostgreSQL", Registry.Berth, "Berth on SQLite");
            await SectionAsync("pg", "Berth on PostgreSQL vs Berth on SQLite (filesystem storage)", results, PostgresSectionAsync, ct);
        }

        if (o.RunsSection("cluster"))
        {
            var results = new Results(Registry.BerthThreeNodes, "3 nodes", Registry.Berth, "1 node");
            await SectionAsync("cluster", "Three Berth nodes vs one, behind nginx, on PostgreSQL + s3rver", results, ClusterSectionAsync, ct);
        }
    }

    /// <summary>Runs a section with its own results; a section that cannot run says why in its notes and fails the run.</summary>
    private async Task SectionAsync(string id, string heading, Results results, Func<List<string>, CancellationToken, Task> run, CancellationToken ct)
    {
        var saved = _results;
        _results = results;
        var preamble = new List<string> { $"- Load average (`/proc/loadavg`) at the start: {LoadAverage()}." };
        try
        {
            Log($"section {id}: {heading}");
            await run(preamble, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            Failures++;
            Log($"section {id} FAILED: {e.Message.Split('\n')[0]}");
            results.Note($"The section stopped: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            preamble.Add($"- Load average at the end: {LoadAverage()}.");
            _results = saved;
            _sections.Add((id, heading, preamble, results));
        }
    }

    private async Task S3SectionAsync(List<string> preamble, CancellationToken ct)
    {
        var script = o.S3rverScript ?? throw new InvalidOperationException("no --s3rver: s3rver is not installed (bench/run.sh installs it)");
        await using var s3 = await S3rver.StartAsync(script, Dir("s3", "s3rver"), ["berth", "distribution"], ct);
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("s3", "berth"), null, extraArgs: s3.BerthArgs("berth"));
        await using var distribution = await Server.StartDistributionAsync(Dir("s3", "distribution"), null, storage: s3.DistributionStorage("distribution"));
        using var b = new Target(berth);
        using var d = new Target(distribution);
        preamble.Add("- One s3rver 3.7.1 (node, on the same 2 cores), a bucket per registry. Berth: `--storage s3 --s3-path-style`, SQLite metadata, blob GETs streamed (no `--s3-redirect`). Distribution: `s3` driver (`regionendpoint` = s3rver, which makes 2.8.2 use path-style URLs; `secure: false`, `v4auth: true`, default 10 MiB chunksize), `redirect: disable: true` so blob bytes pass through it as through Berth.");
        preamble.Add("- Server CPU counts the registry process only; s3rver's CPU (often the larger part) is not in it.");
        var size = Options.Size(o.BlobBytes);
        Define("upload-mono", $"raw upload {size}, monolithic", "mbps", "throughput", "MB/s", Better.Higher, 1.5);
        Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "mbps", "throughput", "MB/s", Better.Higher, 1.5);
        Define("upload-mono", $"raw upload {size}, monolithic", "cpu_per_gb", "server CPU per GB uploaded (registry only)", "CPU-s/GB", Better.Lower);
        Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "cpu_per_gb", "server CPU per GB uploaded (registry only)", "CPU-s/GB", Better.Lower);
        Define("blob-get", $"blob GET {size} ×{o.BlobGetsPerRep}", "mbps", "throughput", "MB/s", Better.Higher);
        DefineRate("manifest-get", "manifest GET by tag, 32 connections", rateTarget: 2, p99Target: null);

        // Distribution's s3 driver may not work against s3rver: then Berth's figures stand alone, with the reason noted.
        var targets = await SetUpAsync([b, d], listings: false, ct, tolerateFailures: true);
        if (!targets.Contains(d))
        {
            var log = Path.Combine(Dir("s3", "distribution"), "server.log");
            var error = File.Exists(log) ? File.ReadLines(log).FirstOrDefault(l => l.Contains("level=error", StringComparison.Ordinal)) : null;
            _results.Note($"Distribution's log: `{(error is null ? "(no error line)" : error[..Math.Min(error.Length, 300)])}`. Its s3 driver finds an upload again with ListMultipartUploads (`GET /bucket?uploads&prefix=…`) on every PUT and PATCH; s3rver 3.7.1 answers that with 501 NotImplemented, so Distribution cannot store a blob on s3rver.");
        }

        string[] ids = ["upload-mono", "upload-chunked", "blob-get", "manifest-get"];
        await RepeatAsync(targets, NoAuthWorkloads(), "", ct, id => ids.Contains(id) && o.RunsIn("s3", id));
    }

    /// <summary>Issue 16's row "S3 (s3rver) vs files": what the object store costs Berth on the same workloads.</summary>
    private async Task S3FilesSectionAsync(List<string> preamble, CancellationToken ct)
    {
        var script = o.S3rverScript ?? throw new InvalidOperationException("no --s3rver: s3rver is not installed (bench/run.sh installs it)");
        await using var s3 = await S3rver.StartAsync(script, Dir("s3files", "s3rver"), ["berth"], ct);
        await using var onS3 = await Server.StartBerthAsync(o.BerthDll, Dir("s3files", "s3"), null, registry: Registry.BerthS3, extraArgs: s3.BerthArgs("berth"));
        await using var onFiles = await Server.StartBerthAsync(o.BerthDll, Dir("s3files", "files"), null);
        using var a = new Target(onS3);
        using var b = new Target(onFiles);
        preamble.Add("- Berth `--auth none`, SQLite, with `--storage s3 --s3-path-style` on one s3rver 3.7.1 (node, on the same 2 cores; GETs streamed through Berth) vs the filesystem driver. Server CPU counts Berth only; s3rver's is not in it. No target in issue 16: the figures say what the object store costs here.");
        var size = Options.Size(o.BlobBytes);
        Define("upload-mono", $"raw upload {size}, monolithic", "mbps", "throughput", "MB/s", Better.Higher);
        Define("upload-mono", $"raw upload {size}, monolithic", "cpu_per_gb", "server CPU per GB uploaded (Berth only)", "CPU-s/GB", Better.Lower);
        Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "mbps", "throughput", "MB/s", Better.Higher);
        Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "cpu_per_gb", "server CPU per GB uploaded (Berth only)", "CPU-s/GB", Better.Lower);
        Define("blob-get", $"blob GET {size} ×{o.BlobGetsPerRep}", "mbps", "throughput", "MB/s", Better.Higher);
        DefineRate("manifest-get", "manifest GET by tag, 32 connections", rateTarget: null, p99Target: null);
        var targets = await SetUpAsync([a, b], listings: false, ct);
        string[] ids = ["upload-mono", "upload-chunked", "blob-get", "manifest-get"];
        await RepeatAsync(targets, NoAuthWorkloads(), "", ct, id => ids.Contains(id) && o.RunsIn("s3files", id));
    }

    private async Task PostgresSectionAsync(List<string> preamble, CancellationToken ct)
    {
        var database = PostgresConnection($"bench_pg_{Environment.ProcessId}");
        await using var postgres = await Server.StartBerthAsync(o.BerthDll, Dir("pg", "postgres"), null, registry: Registry.BerthPostgres, extraArgs: ["--database", "postgres", "--connection-string", database]);
        await using var sqlite = await Server.StartBerthAsync(o.BerthDll, Dir("pg", "sqlite"), null);
        using var p = new Target(postgres);
        using var s = new Target(sqlite);
        preamble.Add($"- {PostgresVersion()} over a unix socket, started by bench/run.sh (`synchronous_commit=off`, otherwise defaults), vs SQLite (Berth's defaults). Both `--auth none`, filesystem storage. Target: PostgreSQL within 1.5× of SQLite (rate ≥ 0.67×, p99 ≤ 1.5×).");
        DefineRate("manifest-get", "manifest GET by tag, 32 connections", rateTarget: 1 / 1.5, p99Target: 1.5);
        DefineRate("catalog", $"catalog page (n=100) of {o.Entries} repositories, 4 connections", rateTarget: 1 / 1.5, p99Target: 1.5);
        DefineRate("tags", $"tag list page (n=100) of {o.Entries} tags, 4 connections", rateTarget: 1 / 1.5, p99Target: 1.5);
        var targets = await SetUpAsync([p, s], listings: true, ct);
        string[] ids = ["manifest-get", "catalog", "tags"];
        await RepeatAsync(targets, NoAuthWorkloads(), "", ct, id => ids.Contains(id) && o.RunsIn("pg", id));
    }

    private async Task ClusterSectionAsync(List<string> preamble, CancellationToken ct)
    {
        var script = o.S3rverScript ?? throw new InvalidOperationException("no --s3rver: s3rver is not installed (bench/run.sh installs it)");
        await using var s3 = await S3rver.StartAsync(script, Dir("cluster", "s3rver"), ["one", "three"], ct);
        List<Server> nodes = [];
        try
        {
            IReadOnlyList<string> Args(string name) => ["--database", "postgres", "--connection-string", PostgresConnection($"bench_{name}_{Environment.ProcessId}"), .. s3.BerthArgs(name)];
            nodes.Add(await Server.StartBerthAsync(o.BerthDll, Dir("cluster", "one-node"), null, extraArgs: Args("one")));

            // The three start at once, as a cluster's nodes may (their migrations run under a database lock).
            var starting = Enumerable.Range(1, 3).Select(i => Server.StartBerthAsync(o.BerthDll, Dir("cluster", $"three-node{i}"), null, extraArgs: Args("three"))).ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                nodes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            await using var one = await Server.StartNginxAsync(Dir("cluster", "nginx-one"), nodes[..1], Registry.Berth);
            await using var three = await Server.StartNginxAsync(Dir("cluster", "nginx-three"), nodes[1..], Registry.BerthThreeNodes);
            using var a = new Target(three);
            using var b = new Target(one);
            preamble.Add("- Debian's nginx as a child process, 2 workers, round robin, `client_max_body_size 0; proxy_request_buffering off; proxy_buffering off; proxy_http_version 1.1` with upstream keep-alive, in front of one node or of three; every node `--auth none` on one PostgreSQL database and one s3rver bucket per setup (PostgreSQL + s3rver, not a shared directory).");
            preamble.Add("- All on the same 2 cores with the clients, s3rver and PostgreSQL: more nodes cannot add CPU here, so the figures to read are the server CPU per GB and per 1,000 requests, summed over every node from /proc (nginx's own CPU is listed apart).");
            var size = Options.Size(o.BlobBytes);
            Define("upload-mono", $"raw upload {size}, monolithic", "mbps", "throughput", "MB/s", Better.Higher);
            Define("upload-mono", $"raw upload {size}, monolithic", "cpu_per_gb", "server CPU per GB uploaded, all nodes", "CPU-s/GB", Better.Lower);
            Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "mbps", "throughput", "MB/s", Better.Higher);
            Define("upload-chunked", $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)", "cpu_per_gb", "server CPU per GB uploaded, all nodes", "CPU-s/GB", Better.Lower);
            DefineRate("manifest-get", "manifest GET by tag, 32 connections", rateTarget: null, p99Target: null);
            Define("manifest-get", "manifest GET by tag, 32 connections", "cpu_per_kreq", "server CPU per 1000 requests, all nodes", "CPU-ms", Better.Lower);
            var targets = await SetUpAsync([a, b], listings: false, ct);
            string[] ids = ["upload-mono", "upload-chunked", "manifest-get"];
            await RepeatAsync(targets, NoAuthWorkloads(), "", ct, id => ids.Contains(id) && o.RunsIn("cluster", id));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>The sections after the Distribution comparison, in the same Markdown file.</summary>
    private void AppendSections(StringBuilder md)
    {
        foreach (var (_, heading, preamble, results) in _sections)
        {
            results.Section(md, heading, preamble);
        }
    }

    private IEnumerable<string> SectionCsv() =>
        _sections.SelectMany(s => s.Results.Csv().Skip(1).Select(line => $"{s.Id}.{line}"));

    private string PostgresConnection(string database) =>
        o.Postgres is { } cs
            ? $"{cs.TrimEnd(';')};Database={database}"
            : throw new InvalidOperationException("no --pg: PostgreSQL is not available (bench/run.sh starts a throw-away cluster)");

    private static string PostgresVersion()
    {
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().LastOrDefault() : null;
        return bin is null ? "PostgreSQL" : Version(Path.Combine(bin, "bin", "postgres"), "--version").Replace("postgres (PostgreSQL)", "PostgreSQL", StringComparison.Ordinal);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
