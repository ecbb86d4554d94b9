using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Berth.Bench;

/// <summary>One registry as the workloads see it: the process, a raw HTTP client, the Authorization value for wrk.</summary>
internal sealed class Target(Server server) : IDisposable
{
    public Server Server { get; } = server;

    public RegistryClient Client { get; } = new(server);

    /// <summary>What wrk and hey send: the server's Basic credentials, unless a workload set a Bearer token here.</summary>
    public string? Authorization
    {
        get => field ?? (Server.Credentials is { } c ? RegistryClient.BasicAuth(c.User, c.Password).ToString() : null);
        set;
    }

    public Registry Registry => Server.Registry;

    public void Dispose() => Client.Dispose();
}

/// <summary>What one run of a workload against one registry measured (besides what /proc says).</summary>
internal sealed record Outcome(IReadOnlyList<(string Key, double Value)> Values, double Bytes = 0, long Requests = 0);

/// <summary>
/// A workload: prepared once per repetition (fresh content), then run against each registry in turn.
/// <paramref name="Unit"/> names what server CPU is normalised by: bytes moved ("GB") or requests ("1k req").
/// </summary>
/// <paramref name="Only"/>: the one registry the workload applies to (a path the other does not have).
internal sealed record Workload(string Id, string Title, Func<Target, int, CancellationToken, Task<Outcome>> Run, Func<int, CancellationToken, Task>? Prepare = null, Registry? Only = null);

/// <summary>The whole run: servers, set-up, interleaved repetitions, the table.</summary>
internal sealed partial class Bench(Options o)
{
    private const string User = "bench";
    private const string Password = "bench-secret";
    private Results _results = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Random _random = new(20261128);
    private byte[] _uploadData = [];
    private string _getDigest = "";
    private int _uploadCounter;
    private readonly Dictionary<Registry, (string Repository, string Digest)> _lastUpload = [];
    private string _uploadFile = "";
    private readonly List<string> _chunkFiles = [];
    private ImageLayout? _bigImage;

    /// <summary>Measurements that failed (noted in the table); a smoke run with any is a failed check.</summary>
    public int Failures { get; private set; }
    private ImageLayout? _manyImage;
    private ImageLayout? _indexImage;

    private TimeSpan Budget => TimeSpan.FromMinutes(o.MaxMinutes);

    public async Task<string> RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(o.WorkDir);
        Directory.CreateDirectory(o.OutDir);
        _uploadData = new byte[o.BlobBytes];
        _random.NextBytes(_uploadData);
        _uploadFile = Dir("upload", "blob.bin");
        await File.WriteAllBytesAsync(_uploadFile, _uploadData, ct);
        for (var offset = 0L; offset < o.BlobBytes; offset += o.ChunkBytes)
        {
            var chunk = Dir("upload", $"chunk-{_chunkFiles.Count:D4}.bin");
            await File.WriteAllBytesAsync(chunk, _uploadData.AsMemory((int)offset, (int)Math.Min(o.ChunkBytes, o.BlobBytes - offset)), ct);
            _chunkFiles.Add(chunk);
        }
        var preamble = new List<string>();
        var loadAtStart = LoadAverage();

        if (o.Runs(IdleId))
        {
            await IdleRssAsync(ct);
        }

        if (o.RunsSection(LimitsId))
        {
            await RunLimitsAsync(ct);
        }

        if (NoAuthWorkloads().Any(w => o.Runs(w.Id)))
        {
            await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("berth"), null);
            await using var distribution = await Server.StartDistributionAsync(Dir("distribution"), null);
            await using var baseline = o.BaselineDll is { } dll ? await Server.StartBerthAsync(dll, Dir("berth-baseline"), null, registry: Registry.BerthBaseline) : null;
            using var b = new Target(berth);
            using var d = new Target(distribution);
            using var before = baseline is null ? null : new Target(baseline);
            Target[] targets = before is null ? [b, d] : [b, d, before];
            Log("set-up: test blobs, images, catalog and tag list");
            _results.Note($"Load average at the start of the no-auth workloads: {LoadAverage()}.");
            await SetUpAsync(targets, listings: o.Runs("catalog") || o.Runs("tags"), ct);
            await RepeatAsync(targets, NoAuthWorkloads(), "", ct);
            RecordRunPeak(targets, "", "Peak RSS over the run (no auth)");
            CompareWithLimits();
        }

        var htpasswd = o.Auth ? await HtpasswdAsync(ct) : null;
        if (htpasswd is not null && _clock.Elapsed < Budget && AuthWorkloads().Any(w => o.Runs(w.Id)))
        {
            var credentials = (User, Password, htpasswd);
            await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("berth-auth"), credentials);
            await using var distribution = await Server.StartDistributionAsync(Dir("distribution-auth"), credentials);
            using var b = new Target(berth);
            using var d = new Target(distribution);
            Target[] targets = [b, d];
            Log("set-up (htpasswd)");
            _results.Note($"Load average at the start of the htpasswd workloads: {LoadAverage()}.");
            await SetUpAsync(targets, listings: false, ct);
            await RepeatAsync(targets, AuthWorkloads(), "auth.", ct);
            RecordRunPeak(targets, "auth.", "Peak RSS over the run (htpasswd)");
        }
        else if (o.Auth && AuthWorkloads().Any(w => o.Runs(w.Id)))
        {
            _results.Note("The htpasswd section was skipped (no htpasswd tool, or the time budget ran out).");
        }

        if (_clock.Elapsed < Budget && TokenWorkloads().Any(w => o.Runs(w.Id)))
        {
            await RunTokenSectionAsync(ct);
        }

        if (_clock.Elapsed < Budget && o.Runs(ResumeId))
        {
            await RunResumeAsync(ct);
        }

        if (o.RunsSection("webhooks"))
        {
            await RunWebhooksAsync(ct);
        }

        if (o.RunsSection("gc"))
        {
            await RunGcAsync(ct);
        }

        if (o.RunsSection("mirror"))
        {
            await RunMirrorAsync(ct);
        }

        // Issue 10's sections start even when the budget is spent (a smoke run must reach them); their repetitions
        // stop at the budget as every other section's do.
        await RunScaleOutAsync(ct);

        if (o.RunsSection("scale"))
        {
            await RunScalingAsync(ct);
        }

        preamble.Add($"- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Cpu()}, {(o.Smoke ? "**smoke run (tiny sizes, 1 repetition: not a measurement)**" : $"{o.Reps} repetitions")}, run time {_clock.Elapsed.TotalMinutes:0.0} min.");
        preamble.Add($"- Berth: Release build, `--auth none` / `--auth htpasswd`, SQLite + filesystem. Distribution: `docker-registry` {Version("docker-registry", "--version")}, filesystem driver, in-memory blob descriptor cache (Debian's default config), access log off.");
        preamble.Add($"- Clients on the same 2 cores: curl for the bytes of raw uploads and GETs (from/to the page cache and /dev/null), .NET HttpClient for the other raw requests, `wrk -t2 -c32 -d{o.WrkSeconds}s` for GET request rates, `hey -c32` for HEAD (wrk cannot parse HEAD responses), skopeo {Version("skopeo", "--version").Replace("skopeo version ", "", StringComparison.Ordinal)} for image copies. Uncompressed tar layers of random bytes; new content every repetition.");
        preamble.Add("- The order of the two registries alternates between repetitions; a warm-up pass (not recorded) precedes full runs.");
        preamble.Add($"- Load average (`/proc/loadavg`, 1/5/15 min) at the start: {loadAtStart}; at the end: {LoadAverage()}. The machine is shared: {(o.SharedNote is { } shared ? shared : "other work may have run beside this run (the load average above says how much)")}.");
        var title = o.Smoke ? "Berth vs Distribution 2.8.2 — smoke run" : "Berth vs Distribution 2.8.2";
        // A run of sections alone (scale-out, webhooks, mirror): a title naming them, and only the lines about the machine
        // and the clients.
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        var name = o.Smoke ? $"{stamp}-smoke" : stamp;
        var charts = WriteCharts(name);
        var summary = Summary(charts, loadAtStart);
        var document = new StringBuilder(_results.IsEmpty
            ? $"# Berth: {string.Join(", ", _sections.Select(s => s.Id))}{(o.Smoke ? " — smoke run" : "")}\n\n{preamble[0]}\n{preamble[2]}\n{preamble[^1]}\n{summary}"
            : _results.Markdown(title, preamble, summary));
        AppendSections(document);
        var markdown = document.ToString();
        var file = Path.Combine(o.OutDir, name + ".md");
        await File.WriteAllTextAsync(file, markdown, ct);
        await File.WriteAllLinesAsync(Path.Combine(o.OutDir, name + ".csv"), _results.Csv().Concat(SectionCsv()), ct);
        if (!o.Keep)
        {
            TryDelete(o.WorkDir);
        }

        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"written: {file}");
        return file;
    }

    private IEnumerable<Workload> NoAuthWorkloads()
    {
        var size = Options.Size(o.BlobBytes);
        Define("upload-mono", $"raw upload {size}, monolithic", "mbps", "throughput", "MB/s", Better.Higher, 2.5);
        Define("upload-mono", $"raw upload {size}, monolithic", "cpu_per_gb", "server CPU per GB uploaded", "CPU-s/GB", Better.Lower, 0.5);
        yield return new("upload-mono", $"raw upload {size}, monolithic", (t, rep, ct) => UploadAsync(t, "upload-mono", chunked: false, ct), PrepareUploadAsync);

        var fresh = $"blob GET {size} right after its upload (the last upload-mono blob)";
        Define("blob-get-fresh", fresh, "mbps", "throughput", "MB/s", Better.Higher, 0.95);
        Define("blob-get-fresh", fresh, "cpu_per_gb", "server CPU per GB sent", "CPU-s/GB", Better.Lower);
        yield return new("blob-get-fresh", fresh, FreshBlobGetAsync);

        var chunks = $"raw upload {size}, chunked ({Options.Size(o.ChunkBytes)} PATCHes)";
        Define("upload-chunked", chunks, "mbps", "throughput", "MB/s", Better.Higher, 2.5);
        Define("upload-chunked", chunks, "cpu_per_gb", "server CPU per GB uploaded", "CPU-s/GB", Better.Lower, 0.5);
        yield return new("upload-chunked", chunks, (t, rep, ct) => UploadAsync(t, "upload-chunked", chunked: true, ct), PrepareUploadAsync);

        var get = $"blob GET {size} ×{o.BlobGetsPerRep}";
        Define("blob-get", get, "mbps", "throughput", "MB/s", Better.Higher, 0.95);
        Define("blob-get", get, "cpu_per_gb", "server CPU per GB sent", "CPU-s/GB", Better.Lower);
        yield return new("blob-get", get, BlobGetAsync);

        DefineRate("blob-head", "blob HEAD, 32 connections");
        yield return new("blob-head", "blob HEAD, 32 connections", (t, rep, ct) => RateAsync(t, "blob-head", "HEAD", $"/v2/bench/get/blobs/{_getDigest}", null, 32, ct));

        DefineRate("manifest-get", "manifest GET by tag, 32 connections");
        yield return new("manifest-get", "manifest GET by tag, 32 connections", (t, rep, ct) => RateAsync(t, "manifest-get", "GET", "/v2/bench/pull/manifests/v1", RegistryClient.ManifestAccept, 32, ct));

        var big = $"skopeo push, 1 layer of {size}";
        Define("push-big", big, "s", "wall time", "s", Better.Lower);
        yield return new("push-big", big, (t, rep, ct) => TimedAsync("push-big", () => Skopeo.PushAsync(_bigImage!, t.Server, $"bench/big-{rep}", all: false, ct)),
            (rep, ct) => Task.Run(() => _bigImage = Images.Image(Dir("images", "big"), 1, o.BlobBytes, _random), ct));
        var bigPull = $"skopeo pull, 1 layer of {size}";
        Define("pull-big", bigPull, "s", "wall time", "s", Better.Lower);
        yield return new("pull-big", bigPull, (t, rep, ct) => PullAsync(t, "pull-big", $"bench/big-{rep}", all: false, ct));

        var many = $"skopeo push, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
        Define("push-many", many, "s", "wall time", "s", Better.Lower, 0.6);
        yield return new("push-many", many, (t, rep, ct) => TimedAsync("push-many", () => Skopeo.PushAsync(_manyImage!, t.Server, $"bench/many-{rep}", all: false, ct)),
            (rep, ct) => Task.Run(() => _manyImage = Images.Image(Dir("images", "many"), o.ManyLayers, o.ManyLayerBytes, _random), ct));
        var manyPull = $"skopeo pull, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
        Define("pull-many", manyPull, "s", "wall time", "s", Better.Lower);
        yield return new("pull-many", manyPull, (t, rep, ct) => PullAsync(t, "pull-many", $"bench/many-{rep}", all: false, ct));

        var index = $"skopeo push --all, 3-platform index ({Options.Size(o.IndexLayerBytes)} layers)";
        Define("push-index", index, "s", "wall time", "s", Better.Lower);
        yield return new("push-index", index, (t, rep, ct) => TimedAsync("push-index", () => Skopeo.PushAsync(_indexImage!, t.Server, $"bench/multi-{rep}", all: true, ct)),
            (rep, ct) => Task.Run(() => _indexImage = Images.MultiPlatform(Dir("images", "multi"), ["amd64", "arm64", "s390x"], o.IndexLayerBytes, _random), ct));
        var indexPull = "skopeo pull --all, 3-platform index";
        Define("pull-index", indexPull, "s", "wall time", "s", Better.Lower);
        yield return new("pull-index", indexPull, (t, rep, ct) => PullAsync(t, "pull-index", $"bench/multi-{rep}", all: true, ct));

        var manyConcurrent = $"{o.ConcurrentPulls} concurrent skopeo pulls, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
        Define("pull-many-concurrent", manyConcurrent, "s", "wall time", "s", Better.Lower, 0.7);
        yield return new("pull-many-concurrent", manyConcurrent, (t, rep, ct) => ConcurrentPullsAsync(t, $"bench/many-{rep}", (double)o.ManyLayers * o.ManyLayerBytes, ct));

        var concurrent = $"{o.ConcurrentPulls} concurrent skopeo pulls, 1 layer of {Options.Size(o.PullLayerBytes)}";
        Define("pull-concurrent", concurrent, "s", "wall time", "s", Better.Lower, 0.7);
        yield return new("pull-concurrent", concurrent, (t, rep, ct) => ConcurrentPullsAsync(t, "bench/pull", o.PullLayerBytes, ct));

        var catalog = $"catalog page (n=100) of {o.Entries} repositories";
        DefineRate("catalog", catalog + ", 4 connections", rateTarget: 10, p99Target: null);
        yield return new("catalog", catalog + ", 4 connections", (t, rep, ct) => RateAsync(t, "catalog", "GET", $"/v2/_catalog?n=100&last=cat/r{o.Entries / 2:D6}", null, 4, ct));

        var tags = $"tag list page (n=100) of {o.Entries} tags";
        DefineRate("tags", tags + ", 4 connections", rateTarget: 10, p99Target: null);
        yield return new("tags", tags + ", 4 connections", (t, rep, ct) => RateAsync(t, "tags", "GET", $"/v2/tags/many/tags/list?n=100&last=t{o.Entries / 2:D6}", null, 4, ct));
    }

    private IEnumerable<Workload> AuthWorkloads()
    {
        var size = Options.Size(o.BlobBytes);
        Define("auth.upload-mono", $"htpasswd: raw upload {size}, monolithic", "mbps", "throughput", "MB/s", Better.Higher, 2.5);
        Define("auth.upload-mono", $"htpasswd: raw upload {size}, monolithic", "cpu_per_gb", "server CPU per GB uploaded", "CPU-s/GB", Better.Lower, 0.5);
        yield return new("auth.upload-mono", "htpasswd: raw upload", (t, rep, ct) => UploadAsync(t, "auth.upload-mono", chunked: false, ct), PrepareUploadAsync);
        DefineRate("auth.blob-head", "htpasswd: blob HEAD, 32 connections");
        yield return new("auth.blob-head", "htpasswd: blob HEAD", (t, rep, ct) => RateAsync(t, "auth.blob-head", "HEAD", $"/v2/bench/get/blobs/{_getDigest}", null, 32, ct));
        DefineRate("auth.manifest-get", "htpasswd: manifest GET by tag, 32 connections");
        yield return new("auth.manifest-get", "htpasswd: manifest GET", (t, rep, ct) => RateAsync(t, "auth.manifest-get", "GET", "/v2/bench/pull/manifests/v1", RegistryClient.ManifestAccept, 32, ct));
        var many = $"htpasswd: skopeo push, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
        Define("auth.push-many", many, "s", "wall time", "s", Better.Lower, 0.6);
        yield return new("auth.push-many", many, (t, rep, ct) => TimedAsync("auth.push-many", () => Skopeo.PushAsync(_manyImage!, t.Server, $"bench/many-{rep}", all: false, ct)),
            (rep, ct) => Task.Run(() => _manyImage = Images.Image(Dir("images", "many"), o.ManyLayers, o.ManyLayerBytes, _random), ct));
    }

    private IEnumerable<Workload> TokenWorkloads()
    {
        // A client that asks for a token per request (as the OCI conformance suite does) with the right password:
        // what a cached password check is for. The per-address rate limit is off here (--token-rate-limit 0), so
        // the figure is the token service's cost, not the policy's.
        var title = "/token with valid Basic credentials (token auth), 16 connections (Berth only)";
        Define("token", title, "tokens", "tokens issued (200) per second", "tokens/s", Better.Higher, headline: true);
        Define("token", title, "p99", "p99 latency", "ms", Better.Lower);
        yield return new("token", title, TokenRateAsync, Only: Registry.Berth);

        // The default deployment (token auth) against Distribution's own authentication (htpasswd): what a client of
        // each pays per request once it holds what it needs (Berth: a Bearer token; Distribution: Basic credentials,
        // checked with bcrypt on every request unless cached).
        var manifest = "token auth (Berth) vs htpasswd (Distribution): manifest GET by tag, 32 connections";
        DefineRate("token.manifest-get", manifest);
        yield return new("token.manifest-get", manifest, TokenManifestGetAsync);
        var many = $"token auth (Berth) vs htpasswd (Distribution): skopeo push, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
        Define("token.push-many", many, "s", "wall time", "s", Better.Lower, 0.6);
        yield return new("token.push-many", many, (t, rep, ct) => TimedAsync("token.push-many", () => Skopeo.PushAsync(_manyImage!, t.Server, $"{TokenNamespace}/many-{rep}", all: false, ct)),
            (rep, ct) => Task.Run(() => _manyImage = Images.Image(Dir("images", "many"), o.ManyLayers, o.ManyLayerBytes, _random), ct));

        // The web UI's repository page (its first page of tags, the pull command, comments) of a public repository
        // holding --entries tags, as an anonymous visitor sees it. The web UI needs the index role (token auth).
        var ui = $"web UI repository page (/r/…) of {o.Entries} tags, anonymous, 16 connections (Berth only)";
        DefineRate("ui-repo", ui, rateTarget: null, p99Target: null);
        yield return new("ui-repo", ui, (t, rep, ct) => RateAsync(t, "ui-repo", "GET", $"/r/{TokenNamespace}/tags", "text/html", 16, ct), Only: Registry.Berth);
    }

    /// <summary>Counts only answers with a token: a refusal (e.g. 429 from a rate limit) is not a token.</summary>
    private async Task<Outcome> TokenRateAsync(Target target, int rep, CancellationToken ct)
    {
        var url = new Uri(target.Server.BaseUri, $"/token?service=berth-registry&scope={Uri.EscapeDataString("repository:admin/bench:pull,push")}");

        // The first correct login pays bcrypt once; sixteen first logins at the same instant would take the whole of a
        // short (smoke) run on two cores. A server that has been up for a while has long paid it.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) })
        using (var first = new HttpRequestMessage(HttpMethod.Get, url))
        {
            first.Headers.TryAddWithoutValidation("Authorization", target.Authorization);
            using var answer = await http.SendAsync(first, ct);
            answer.EnsureSuccessStatusCode();
        }

        var result = await Wrk.RunAsync(o.WrkScript, url, "GET", 16, TimeSpan.FromSeconds(o.WrkSeconds), null, target.Authorization, ct, tolerateErrors: true);
        if (result.Errors > 0)
        {
            _results.Note($"token: {result.Errors} of {result.Requests} requests were refused or unanswered in repetition {rep}; only tokens issued are counted.");
        }

        return new([("tokens", (result.Requests - result.Errors) / result.Seconds), ("p99", result.P99Ms)], Requests: result.Requests);
    }

    /// <summary>Blobs, images and listings every workload reads: the same content in both registries.</summary>
    /// <summary>
    /// Returns the targets that are set up: all of them, or with <paramref name="tolerateFailures"/>, those that took
    /// the content (a registry that cannot, e.g. a storage driver that fails against an emulator, is noted and left out).
    /// </summary>
    private async Task<Target[]> SetUpAsync(Target[] targets, bool listings, CancellationToken ct, bool tolerateFailures = false)
    {
        var get = new byte[o.BlobBytes];
        _random.NextBytes(get);
        _getDigest = RegistryClient.DigestOf(get);
        var pull = Images.Image(Dir("images", "pull"), 1, o.PullLayerBytes, _random);
        var ready = new List<Target>();
        foreach (var t in targets)
        {
            try
            {
                if (tolerateFailures)
                {
                    // A small blob first: a registry that refuses uploads answers it whole, so the note can quote its
                    // error, where a refused large body only shows as a connection reset.
                    var probe = Encoding.UTF8.GetBytes("probe");
                    await t.Client.UploadMonolithicAsync("bench/probe", probe, RegistryClient.DigestOf(probe), null, ct);
                }

                await t.Client.UploadMonolithicAsync("bench/get", get, _getDigest, null, ct);
                await Skopeo.PushAsync(pull, t.Server, "bench/pull", all: false, ct);
                await t.Client.GetStringAsync("/v2/bench/pull/manifests/v1", RegistryClient.ManifestAccept, ct);
                if (await t.Client.HeadAsync($"/v2/bench/get/blobs/{_getDigest}", ct) != System.Net.HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"{t.Server.Name}: HEAD of the uploaded blob failed");
                }

                ready.Add(t);
            }
            catch (Exception e) when (tolerateFailures && e is InvalidOperationException or HttpRequestException or IOException)
            {
                // Noted in the table, not counted as a failure of the run: the caller expects that this may happen.
                Log($"  set-up FAILED on {t.Server.Name}: {e.Message.Split('\n')[0]}");
                _results.Note($"{t.Server.Name} could not be set up (so it has no figures): {e.Message.Split('\n')[0]}");
            }
        }

        targets = [.. ready];
        if (!listings)
        {
            return targets;
        }

        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        var configDigest = RegistryClient.DigestOf(config);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{RegistryClient.OciManifest}}","config":{"mediaType":"{{RegistryClient.OciConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]}""");
        foreach (var t in targets)
        {
            var stopwatch = Stopwatch.StartNew();
            await t.Client.UploadMonolithicAsync("seed/base", config, configDigest, null, ct);

            // The repositories are issue 16's "10,000 repositories created by 8 clients" row: its rate, server CPU
            // and peak RSS are figures of their own.
            t.Server.ResetPeak();
            var cpu = t.Server.CpuSeconds();
            var repositories = Stopwatch.StartNew();
            await Parallel.ForAsync(0, o.Entries, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            {
                var repository = $"cat/r{i:D6}";
                await t.Client.MountOrUploadAsync(repository, "seed/base", config, configDigest, token);
                await t.Client.PutManifestAsync(repository, "v1", manifest, RegistryClient.OciManifest, token);
            });
            _results.Add("seed-repos.rate", t.Registry, o.Entries / repositories.Elapsed.TotalSeconds);
            _results.Add("seed-repos.cpu_ms", t.Registry, (t.Server.CpuSeconds() - cpu) * 1000 / o.Entries);
            _results.Add("seed-repos.rss", t.Registry, t.Server.PhasePeakRssBytes() / 1048576.0);
            await t.Client.MountOrUploadAsync("tags/many", "seed/base", config, configDigest, ct);
            await Parallel.ForAsync(0, o.Entries, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
                await t.Client.PutManifestAsync("tags/many", $"t{i:D6}", manifest, RegistryClient.OciManifest, token));
            Log($"  {t.Server.Name}: {o.Entries} repositories and {o.Entries} tags pushed in {stopwatch.Elapsed.TotalSeconds:0.0} s");
            _results.Add("seed.s", t.Registry, stopwatch.Elapsed.TotalSeconds);

            // What one page holds: a registry that ignores n/last answers with everything, which the table must say.
            var catalog = await t.Client.GetStringAsync($"/v2/_catalog?n=100&last=cat/r{o.Entries / 2:D6}", null, ct);
            var tags = await t.Client.GetStringAsync($"/v2/tags/many/tags/list?n=100&last=t{o.Entries / 2:D6}", null, ct);
            var catalogEntries = Count(catalog, "\"cat/r");
            var tagEntries = Count(tags, "\"t0");
            if (catalogEntries != Math.Min(100, o.Entries - (o.Entries / 2) - 1))
            {
                _results.Note($"{t.Server.Name}'s catalog page `?n=100&last=…` held {catalogEntries} repositories.");
            }

            if (tagEntries != Math.Min(100, o.Entries - (o.Entries / 2) - 1))
            {
                _results.Note($"{t.Server.Name}'s tag list page `?n=100&last=…` held {tagEntries} tags (it does not paginate tag lists), so its figure is for the whole list.");
            }
        }

        Define("seed", $"set-up: push {o.Entries} repositories + {o.Entries} tags (8 clients)", "s", "wall time", "s", Better.Lower, headline: false);
        var fill = $"{o.Entries} repositories created by 8 clients (a mount and a manifest PUT each)";
        Define("seed-repos", fill, "rate", "repositories per second", "repositories/s", Better.Higher, 2);
        Define("seed-repos", fill, "cpu_ms", "server CPU per repository", "CPU-ms", Better.Lower, headline: false);
        Define("seed-repos", fill, "rss", "server peak RSS", "MiB", Better.Lower, headline: false);
        return targets;
    }

    private async Task RepeatAsync(Target[] targets, IEnumerable<Workload> definitions, string prefix, CancellationToken ct, Func<string, bool>? runs = null, bool warmup = true)
    {
        var workloads = definitions.Where(w => (runs ?? o.Runs)(w.Id)).ToList();
        if (workloads.Count == 0)
        {
            return;
        }

        for (var rep = o.Warmup && warmup ? 0 : 1; rep <= o.Reps; rep++)
        {
            if (rep > 1 && _clock.Elapsed > Budget)
            {
                _results.Note($"Time budget ({o.MaxMinutes} min) reached: {prefix}workloads ran {rep - 1} of {o.Reps} repetitions.");
                break;
            }

            Log(rep == 0 ? "warm-up pass (not recorded)" : $"repetition {rep}/{o.Reps}");
            var order = rep % 2 == 1 ? targets : targets.Reverse().ToArray();
            foreach (var workload in workloads)
            {
                if (workload.Prepare is { } prepare)
                {
                    await prepare(rep, ct);
                }

                // Warm-up: the upload and GET paths run once per request, so a few rounds get their code to
                // its final (tier-1) form on both sides, as in a server that has been up for a while.
                // /token's path (account, throttle, permissions, ES256) takes as long to reach tier 1 on a busy machine.
                // The scale section's uploads (upload-1mib …) need one: three rounds of 1 GiB would cost a minute.
                var rounds = rep == 0 && workload.Id is "upload-mono" or "upload-chunked" or "auth.upload-mono" or "blob-get" or "token" ? 3 : 1;
                for (var round = 0; round < rounds; round++)
                {
                    foreach (var target in order.Where(t => workload.Only is not { } only || t.Registry == only))
                    {
                        await MeasureAsync(workload, target, rep, record: rep > 0, ct);
                    }
                }
            }
        }
    }

    private async Task MeasureAsync(Workload workload, Target target, int rep, bool record, CancellationToken ct)
    {
        var server = target.Server;
        server.ResetPeak();
        var cpuBefore = server.CpuSeconds();
        var proxyBefore = server.Members.Count > 0 ? server.ProxyCpuSeconds() : 0;
        Outcome outcome;
        try
        {
            outcome = await workload.Run(target, rep, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            // One workload failing on one registry is a finding, not a reason to lose the rest of the run. A smoke
            // run checks that the harness drives Berth; its one-second load runs can leave the peer without a single
            // answer on a loaded machine (Distribution's htpasswd bcrypt), which is noted, not a failed smoke.
            if (!(o.Smoke && server.Registry == Registry.Distribution))
            {
                Failures++;
            }

            Log($"  {workload.Id,-18} {server.Name,-12} FAILED: {e.Message.Split('\n')[0]}");
            _results.Note($"{workload.Title}: {server.Name} failed in repetition {rep}: {e.Message.Split('\n')[0]}");
            if (server.HasExited)
            {
                throw;
            }

            return;
        }

        var cpu = server.CpuSeconds() - cpuBefore;
        var peak = server.PhasePeakRssBytes() / 1048576.0;
        if (server.HasExited)
        {
            throw new InvalidOperationException($"{server.Name} exited during {workload.Id}");
        }

        var summary = string.Join(", ", outcome.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:0.###}")));
        Log($"  {workload.Id,-18} {server.Name,-12} {summary}; server {cpu:0.00} CPU-s, peak {peak:0} MiB");
        if (!record)
        {
            return;
        }

        foreach (var (key, value) in outcome.Values)
        {
            _results.Add($"{workload.Id}.{key}", target.Registry, value);
        }

        var title = workload.Title;
        Define(workload.Id, title, "cpu", "server CPU", "CPU-s", Better.Lower, headline: false);
        _results.Add($"{workload.Id}.cpu", target.Registry, cpu);
        if (outcome.Bytes > 0)
        {
            Define(workload.Id, title, "cpu_per_gb", "server CPU per GB moved", "CPU-s/GB", Better.Lower, headline: false);
            _results.Add($"{workload.Id}.cpu_per_gb", target.Registry, cpu / (outcome.Bytes / 1e9));
        }

        if (outcome.Requests > 0)
        {
            Define(workload.Id, title, "cpu_per_kreq", "server CPU per 1000 requests", "CPU-ms", Better.Lower, headline: false);
            _results.Add($"{workload.Id}.cpu_per_kreq", target.Registry, cpu * 1000 / (outcome.Requests / 1000.0));
        }

        if (server.Members.Count > 0)
        {
            Define(workload.Id, title, "proxy_cpu", "nginx CPU (not in the server figures)", "CPU-s", Better.Lower, headline: false);
            _results.Add($"{workload.Id}.proxy_cpu", target.Registry, server.ProxyCpuSeconds() - proxyBefore);
        }

        Define(workload.Id, title, "rss", "server peak RSS", "MiB", Better.Lower, headline: false);
        _results.Add($"{workload.Id}.rss", target.Registry, peak);
    }

    private Task PrepareUploadAsync(int rep, CancellationToken ct) => Task.CompletedTask;

    private async Task<Outcome> UploadAsync(Target target, string id, bool chunked, CancellationToken ct)
    {
        // New bytes for every upload (a counter in the first 8 bytes), so no registry sees content it already has.
        // The same bytes are in the file curl sends whole and in the chunk files it sends as PATCHes.
        BitConverter.TryWriteBytes(_uploadData.AsSpan(0, 8), Interlocked.Increment(ref _uploadCounter) + ((long)Environment.ProcessId << 32));
        var digest = RegistryClient.DigestOf(_uploadData);
        using (var whole = File.OpenHandle(_uploadFile, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(whole, _uploadData.AsSpan(0, 8), 0);
        }

        using (var first = File.OpenHandle(_chunkFiles[0], FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(first, _uploadData.AsSpan(0, 8), 0);
        }

        var repository = $"bench/{id}";
        var elapsed = chunked
            ? await target.Client.UploadChunkedAsync(repository, _chunkFiles, digest, ct)
            : await target.Client.UploadMonolithicAsync(repository, _uploadData, digest, _uploadFile, ct);
        if (id == "upload-mono")
        {
            _lastUpload[target.Registry] = (repository, digest);
        }

        return new([("mbps", _uploadData.Length / 1e6 / elapsed.TotalSeconds)], Bytes: _uploadData.Length);
    }

    /// <summary>One GET of the blob this registry took last in upload-mono (issue 16: a blob GET right after its upload).</summary>
    private async Task<Outcome> FreshBlobGetAsync(Target target, int rep, CancellationToken ct)
    {
        var (repository, digest) = _lastUpload.TryGetValue(target.Registry, out var last)
            ? last
            : throw new InvalidOperationException("blob-get-fresh reads the blob upload-mono uploaded: run them together");
        var elapsed = await target.Client.GetBlobAsync(repository, digest, o.BlobBytes, ct);
        return new([("mbps", o.BlobBytes / 1e6 / elapsed.TotalSeconds)], Bytes: o.BlobBytes);
    }

    private async Task<Outcome> BlobGetAsync(Target target, int rep, CancellationToken ct)
    {
        var elapsed = TimeSpan.Zero;
        for (var i = 0; i < o.BlobGetsPerRep; i++)
        {
            elapsed += await target.Client.GetBlobAsync("bench/get", _getDigest, o.BlobBytes, ct);
        }

        var bytes = (double)o.BlobBytes * o.BlobGetsPerRep;
        return new([("mbps", bytes / 1e6 / elapsed.TotalSeconds)], Bytes: bytes);
    }

    private async Task<Outcome> RateAsync(Target target, string id, string method, string pathAndQuery, string? accept, int connections, CancellationToken ct)
    {
        var url = new Uri(target.Server.BaseUri, pathAndQuery);
        // Listing pages can take seconds on a registry that walks its storage: fewer connections, a longer
        // timeout and window, so the figure is a rate and not a count of timeouts.
        var listing = id.StartsWith("catalog", StringComparison.Ordinal) || id.StartsWith("tags", StringComparison.Ordinal);
        var timeout = listing ? 30 : 5;
        var duration = TimeSpan.FromSeconds(id is "catalog" or "tags" ? o.WrkSeconds * 2 : o.WrkSeconds);
        var result = method == "HEAD"
            ? await Hey.RunAsync(url, method, connections, duration, target.Authorization, ct)
            : await Wrk.RunAsync(o.WrkScript, url, method, connections, duration, accept, target.Authorization, ct, timeout);
        if (result.Errors > 0)
        {
            _results.Note($"{id}: {target.Server.Name} had {result.Errors} failed requests (non-2xx, or no answer within {timeout} s) of {result.Requests} in repetition(s) shown; rates count answered requests.");
        }

        return new([("rps", result.RequestsPerSecond), ("p99", result.P99Ms), ("p50", result.P50Ms)], Requests: result.Requests);
    }

    private static async Task<Outcome> TimedAsync(string id, Func<Task<TimeSpan>> run) =>
        new([("s", (await run()).TotalSeconds)]);

    private async Task<Outcome> PullAsync(Target target, string id, string repository, bool all, CancellationToken ct)
    {
        var destination = Dir("pulls", $"{id}-{target.Registry}");
        try
        {
            return new([("s", (await Skopeo.PullAsync(target.Server, repository, "v1", destination, all, ct)).TotalSeconds)]);
        }
        finally
        {
            TryDelete(destination);
        }
    }

    private async Task<Outcome> ConcurrentPullsAsync(Target target, string repository, double imageBytes, CancellationToken ct)
    {
        var destinations = Enumerable.Range(0, o.ConcurrentPulls).Select(i => Dir("pulls", $"c{i}-{target.Registry}")).ToList();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(destinations.Select(d => Skopeo.PullAsync(target.Server, repository, "v1", d, all: false, ct)));
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            return new([("s", elapsed)], Bytes: imageBytes * o.ConcurrentPulls);
        }
        finally
        {
            destinations.ForEach(TryDelete);
        }
    }

    private void RecordRunPeak(Target[] targets, string prefix, string label)
    {
        var key = $"{prefix}run";
        Define(key, label, "rss", "server peak RSS", "MiB", Better.Lower, 1.2);
        foreach (var t in targets)
        {
            _results.Add($"{key}.rss", t.Registry, t.Server.RunPeakRssBytes / 1048576.0);
        }
    }

    private void Define(string workload, string title, string metric, string label, string unit, Better better, double? target = null, bool headline = true, double? absolute = null) =>
        _results.Define(new Metric($"{workload}.{metric}", title, label, unit, better, target, headline, absolute));

    private void DefineRate(string id, string title, double? rateTarget = 2, double? p99Target = 0.5)
    {
        Define(id, title, "rps", "requests/s", "req/s", Better.Higher, rateTarget);
        Define(id, title, "p99", "p99 latency", "ms", Better.Lower, p99Target);
    }

    private async Task<string?> HtpasswdAsync(CancellationToken ct)
    {
        var file = Path.Combine(o.WorkDir, "htpasswd");
        try
        {
            var info = new ProcessStartInfo("htpasswd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "-Bbn", User, Password })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var line = await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                return null;
            }

            await File.WriteAllTextAsync(file, line, ct);
            return file;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private string Dir(params string[] parts)
    {
        var path = Path.Combine([o.WorkDir, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    private void Log(string line) => Console.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {line}");

    private static int Count(string text, string needle)
    {
        var count = 0;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Cpu()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return model ?? "unknown CPU";
    }

    private static string Version(string tool, string arg)
    {
        try
        {
            var info = new ProcessStartInfo(tool, arg) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(info)!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            return text.Split('\n')[0];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
