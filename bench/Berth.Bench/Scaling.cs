using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Bench;

/// <summary>One point of a scaling curve: its x (entries or bytes) and the metric whose medians it plots.</summary>
internal sealed record CurvePoint(double X, string Key);

/// <summary>A scaling curve: a chart of one figure against size, Berth and Distribution as two lines.</summary>
internal sealed record Curve(string Id, string Title, string XLabel, string YLabel, List<CurvePoint> Points);

/// <summary>
/// Issue 16's scaling curves (section <c>scale</c>): catalog and tag list at growing sizes (a page of 100 from the
/// middle: rate and server CPU per request; a walk of the whole list in pages of 1,000: cost per item), and monolithic
/// uploads at growing blob sizes (CPU-s per GB, throughput). Flat per-request and per-item costs are the goal.
/// </summary>
internal sealed partial class Bench
{
    /// <summary>Names filled per turn on each registry: both registries always hold the same count.</summary>
    private const int FillBatch = 1_000;

    /// <summary>A walk of a whole listing stops after this long (Distribution walks its storage on every page).</summary>
    private static readonly TimeSpan WalkLimit = TimeSpan.FromSeconds(60);

    /// <summary>Walks are repeated until this long has passed, so their CPU time is many /proc ticks.</summary>
    private static readonly TimeSpan WalkMinimum = TimeSpan.FromSeconds(1);

    private static readonly byte[] EmptyIndex = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""");

    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    private readonly List<Curve> _curves = [];
    private Results? _scaleResults;

    private async Task RunScalingAsync(CancellationToken ct)
    {
        _scaleResults = new Results();
        await SectionAsync("scale", "Scaling curves: listings at growing sizes, uploads at growing blob sizes", _scaleResults, ScalingSectionAsync, ct);
    }

    private async Task ScalingSectionAsync(List<string> preamble, CancellationToken ct)
    {
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("scale", "berth"), null);
        await using var distribution = await Server.StartDistributionAsync(Dir("scale", "distribution"), null);
        using var b = new Target(berth);
        using var d = new Target(distribution);
        Target[] targets = [b, d];
        preamble.Add("- Berth `--auth none` (SQLite, filesystem) and Distribution (Debian's configuration), fresh, nothing else stored.");
        preamble.Add($"- Listings: repositories (catalog) and tags of one repository, (a repository: a mount of one config blob and an image manifest; a tag: one PUT of an empty OCI index; 8 clients), filled in turns of {FillBatch:N0} on each registry so both hold the same count; filling is bounded by {o.ScaleFillSeconds} s per registry (half for each listing): a size not reached in time is measured at the count reached, and larger sizes are skipped. Page: `wrk -c4 -d{o.WrkSeconds}s` GETs `?n=100&last=<middle>`; server CPU per request = CPU-ms per 1,000. Walk: every page of `?n=1000` through the Link headers (stopped after {WalkLimit.TotalSeconds:0} s; repeated until {WalkMinimum.TotalSeconds:0} s have passed, /proc counting CPU in 10 ms ticks); per item = one walk's wall time and server CPU divided by the names it returned.");
        preamble.Add("- Uploads: POST + one PUT by curl of a file in the page cache, new content each time; several uploads per measurement for small blobs (256 MiB per measurement, at most 32 uploads).");

        if (o.RunsIn("scale", "upload"))
        {
            await ScaleUploadsAsync(targets, ct);
        }

        if (o.RunsIn("scale", "catalog") || o.RunsIn("scale", "tags"))
        {
            await ScaleListingsAsync(targets, ct);
        }
    }

    private async Task ScaleUploadsAsync(Target[] targets, CancellationToken ct)
    {
        var workloads = new List<Workload>();
        var mbps = new Curve("scale-upload-throughput", "Monolithic upload: throughput against blob size", "blob size (MiB)", "MB/s (higher is better)", []);
        var cpu = new Curve("scale-upload-cpu", "Monolithic upload: server CPU per GB against blob size", "blob size (MiB)", "server CPU-s per GB (lower is better)", []);
        foreach (var size in o.ScaleUploadBytes)
        {
            var count = (int)Math.Clamp((256L << 20) / size, 1, 32);
            var id = $"upload-{Options.Size(size).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()}";
            var title = $"raw upload {Options.Size(size)}, monolithic{(count > 1 ? $" (×{count} per measurement)" : "")}";
            Define(id, title, "mbps", "throughput", "MB/s", Better.Higher);
            Define(id, title, "cpu_per_gb", "server CPU per GB uploaded", "CPU-s/GB", Better.Lower);
            mbps.Points.Add(new(size / 1048576.0, $"{id}.mbps"));
            cpu.Points.Add(new(size / 1048576.0, $"{id}.cpu_per_gb"));
            var files = await Task.Run(() => Enumerable.Range(0, count).Select(i => RandomFile(Dir("scale", "upload", $"{id}-{i}.bin"), size)).ToList(), ct);
            var digests = new string[count];
            workloads.Add(new(id, title,
                async (t, rep, token) =>
                {
                    var elapsed = TimeSpan.Zero;
                    for (var i = 0; i < count; i++)
                    {
                        elapsed += await t.Client.UploadFileAsync($"scale/{id}", files[i], size, digests[i], token);
                    }

                    return new([("mbps", size * count / 1e6 / elapsed.TotalSeconds)], Bytes: (double)size * count);
                },
                // New bytes every repetition (a counter in the first 8 bytes); both registries get the same bytes,
                // which neither has seen.
                (rep, token) => Task.Run(() =>
                {
                    for (var i = 0; i < count; i++)
                    {
                        digests[i] = Stamp(files[i], Interlocked.Increment(ref _uploadCounter) + ((long)Environment.ProcessId << 32));
                    }
                }, token)));
        }

        _curves.Add(mbps);
        _curves.Add(cpu);
        await RepeatAsync(targets, workloads, "scale.", ct, _ => true);
        foreach (var file in Directory.EnumerateFiles(Dir("scale", "upload")))
        {
            File.Delete(file);
        }
    }

    private async Task ScaleListingsAsync(Target[] targets, CancellationToken ct)
    {
        var catalogPage = new Curve("scale-catalog-page", "Catalog: one page of 100 against repositories stored", "repositories", "server CPU per request, µs (lower is better)", []);
        var catalogItem = new Curve("scale-catalog-walk", "Catalog: walk of every page of 1,000, cost per repository", "repositories", "server CPU per repository, µs (lower is better)", []);
        var tagsPage = new Curve("scale-tags-page", "Tag list: one page of 100 against tags stored", "tags", "server CPU per request, µs (lower is better)", []);
        var tagsItem = new Curve("scale-tags-walk", "Tag list: walk of every page of 1,000, cost per tag", "tags", "server CPU per tag, µs (lower is better)", []);
        _curves.AddRange([catalogPage, catalogItem, tagsPage, tagsItem]);
        var catalog = o.RunsIn("scale", "catalog");
        var tags = o.RunsIn("scale", "tags");
        var filled = (Catalog: 0, Tags: 0);
        var spent = targets.ToDictionary(t => t.Registry, _ => (Catalog: TimeSpan.Zero, Tags: TimeSpan.Zero));
        var budget = TimeSpan.FromSeconds(o.ScaleFillSeconds / (catalog && tags ? 2.0 : 1.0));
        var first = true;
        foreach (var wanted in o.ScaleEntries)
        {
            // Fill to the size in turns, each registry in turn; stop at the bound (checked between turns).
            var complete = true;
            foreach (var kind in new[] { "catalog", "tags" }.Where(k => k == "catalog" ? catalog : tags))
            {
                var count = kind == "catalog" ? filled.Catalog : filled.Tags;
                while (count < wanted)
                {
                    if (targets.Any(t => (kind == "catalog" ? spent[t.Registry].Catalog : spent[t.Registry].Tags) >= budget))
                    {
                        complete = false;
                        break;
                    }

                    var batch = Math.Min(FillBatch, wanted - count);
                    foreach (var t in targets)
                    {
                        var elapsed = await FillAsync(t, kind, count, count + batch, ct);
                        var (c, g) = spent[t.Registry];
                        spent[t.Registry] = kind == "catalog" ? (c + elapsed, g) : (c, g + elapsed);
                    }

                    count += batch;
                }

                filled = kind == "catalog" ? (count, filled.Tags) : (filled.Catalog, count);
                foreach (var t in targets)
                {
                    var time = kind == "catalog" ? spent[t.Registry].Catalog : spent[t.Registry].Tags;
                    Log(string.Create(CultureInfo.InvariantCulture, $"  {t.Server.Name}: {kind} holds {count} names, filled in {time.TotalSeconds:0.0} s ({count / Math.Max(time.TotalSeconds, 0.001):0} names/s)"));
                }
            }

            var workloads = new List<Workload>();
            if (catalog)
            {
                workloads.AddRange(ListingWorkloads("catalog", filled.Catalog, catalogPage, catalogItem));
            }

            if (tags)
            {
                workloads.AddRange(ListingWorkloads("tags", filled.Tags, tagsPage, tagsItem));
            }

            // The first size warms both servers up; the larger ones run the same code.
            await RepeatAsync(targets, workloads, "scale.", ct, _ => true, warmup: first);
            first = false;
            if (!complete)
            {
                _results.Note($"Filling stopped at the bound ({o.ScaleFillSeconds} s per registry): the last listing size measured is {filled.Catalog:N0} repositories / {filled.Tags:N0} tags instead of {wanted:N0}; larger sizes were not measured.");
                break;
            }
        }

        Define("fill-catalog", $"fill: {filled.Catalog:N0} repositories created (a mount and a manifest PUT each, 8 clients)", "rate", "repositories per second", "repositories/s", Better.Higher);
        Define("fill-tags", $"fill: {filled.Tags:N0} tags created in one repository (one manifest PUT each, 8 clients)", "rate", "tags per second", "tags/s", Better.Higher);
        foreach (var t in targets)
        {
            var (c, g) = spent[t.Registry];
            if (filled.Catalog > 0)
            {
                _results.Add("fill-catalog.rate", t.Registry, filled.Catalog / Math.Max(c.TotalSeconds, 0.001));
            }

            if (filled.Tags > 0)
            {
                _results.Add("fill-tags.rate", t.Registry, filled.Tags / Math.Max(g.TotalSeconds, 0.001));
            }
        }
    }

    private IEnumerable<Workload> ListingWorkloads(string kind, int count, Curve page, Curve item)
    {
        var (path, field, noun) = kind == "catalog" ? ("/v2/_catalog", "repositories", "repositories") : ("/v2/scale/tags/tags/list", "tags", "tags");
        var middle = kind == "catalog" ? $"scale/r{count / 2:D7}" : $"t{count / 2:D7}";
        var pageId = $"{kind}-{count}";
        var pageTitle = $"{(kind == "catalog" ? "catalog" : "tag list")} page (n=100) of {count:N0} {noun}, 4 connections";
        DefineRate(pageId, pageTitle, rateTarget: null, p99Target: null);
        Define(pageId, pageTitle, "cpu_per_kreq", "server CPU per 1000 requests", "CPU-ms", Better.Lower);
        page.Points.Add(new(count, $"{pageId}.cpu_per_kreq"));
        yield return new(pageId, pageTitle, (t, rep, ct) => RateAsync(t, pageId, "GET", $"{path}?n=100&last={Uri.EscapeDataString(middle)}", null, 4, ct));

        var walkId = $"{kind}-walk-{count}";
        var walkTitle = $"{(kind == "catalog" ? "catalog" : "tag list")}: walk of {count:N0} {noun} in pages of 1,000";
        Define(walkId, walkTitle, "s", "wall time", "s", Better.Lower, headline: false);
        Define(walkId, walkTitle, "us_per_item", "wall time per item", "µs", Better.Lower);
        Define(walkId, walkTitle, "cpu_us_per_item", "server CPU per item", "µs", Better.Lower);
        item.Points.Add(new(count, $"{walkId}.cpu_us_per_item"));
        yield return new(walkId, walkTitle, async (t, rep, ct) =>
        {
            // Small lists are walked again until a second has passed: /proc counts CPU in 10 ms ticks, and one walk
            // of 1,000 names costs less than one.
            var cpu = t.Server.CpuSeconds();
            var stopwatch = Stopwatch.StartNew();
            var (items, pages, walks) = (0, 0, 0);
            string? next;
            do
            {
                next = $"{path}?n=1000";
                while (next is not null && stopwatch.Elapsed < WalkLimit)
                {
                    var (n, link) = await t.Client.GetListingPageAsync(next, field, ct);
                    items += n;
                    pages++;
                    next = link;
                }

                walks++;
            }
            while (next is null && stopwatch.Elapsed < WalkMinimum);

            var wall = stopwatch.Elapsed.TotalSeconds / walks;
            cpu = (t.Server.CpuSeconds() - cpu) / walks;
            (items, pages) = (items / walks, pages / walks);
            if (next is not null)
            {
                _results.Note($"{walkTitle}: {t.Server.Name}'s walk stopped after {WalkLimit.TotalSeconds:0} s ({items:N0} names in {pages} pages); its per-item figures are for those.");
            }
            else if (items < count)
            {
                _results.Note($"{walkTitle}: {t.Server.Name} returned {items:N0} names in {pages} page(s), not {count:N0}.");
            }

            if (pages == 1 && count > 1000)
            {
                _results.Note($"{walkTitle}: {t.Server.Name} answered the whole list in one page (it ignores n).");
            }

            return new([("s", wall), ("us_per_item", wall * 1e6 / Math.Max(items, 1)), ("cpu_us_per_item", cpu * 1e6 / Math.Max(items, 1))]);
        });
    }

    /// <summary>
    /// Creates names [from, to) of a listing on one registry with 8 clients; returns the time it took. A repository is
    /// a mount of one config blob and an image manifest naming it (Distribution 2.8.2's catalog lists only
    /// repositories with a layer link, so a manifest alone would not do); a tag is one PUT of an empty index.
    /// </summary>
    private static async Task<TimeSpan> FillAsync(Target t, string kind, int from, int to, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var (config, configDigest, manifest) = SeedImage();
        if (from == 0 && kind == "catalog")
        {
            await t.Client.UploadMonolithicAsync("scale/seed", config, configDigest, null, ct);
        }

        await Parallel.ForAsync(from, to, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            if (kind == "catalog")
            {
                await t.Client.MountOrUploadAsync($"scale/r{i:D7}", "scale/seed", config, configDigest, token);
                await t.Client.PutManifestAsync($"scale/r{i:D7}", "v1", manifest, RegistryClient.OciManifest, token);
            }
            else
            {
                await t.Client.PutManifestAsync("scale/tags", $"t{i:D7}", EmptyIndex, OciIndex, token);
            }
        });
        return stopwatch.Elapsed;
    }

    /// <summary>The listings' one image: a config blob and an image manifest naming it (no layers).</summary>
    private static (byte[] Config, string ConfigDigest, byte[] Manifest) SeedImage()
    {
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        var digest = RegistryClient.DigestOf(config);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{RegistryClient.OciManifest}}","config":{"mediaType":"{{RegistryClient.OciConfig}}","digest":"{{digest}}","size":{{config.Length}}},"layers":[]}""");
        return (config, digest, manifest);
    }

    /// <summary>A file of <paramref name="size"/> random bytes (written once; <see cref="Stamp"/> makes it new content).</summary>
    private string RandomFile(string path, long size)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[Math.Min(size, 4 << 20)];
        for (var written = 0L; written < size; written += buffer.Length)
        {
            _random.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }

        return path;
    }

    /// <summary>Writes <paramref name="counter"/> into the first 8 bytes of the file and returns the file's digest.</summary>
    private static string Stamp(string path, long counter)
    {
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(handle, BitConverter.GetBytes(counter), 0);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
