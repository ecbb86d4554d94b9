using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Bench;

/// <summary>
/// Issue 15's figures: an online garbage-collection pass over 100,000 candidate blobs of which 10 % are garbage
/// (review throughput, items per second), and what the pass costs pushes and pulls running beside it: the same mixed
/// load is measured for a while with no pass, then for as long as the pass runs. Beside it, Distribution 2.8.2 filled
/// the same way: it collects offline only (<c>registry garbage-collect</c> with the registry stopped or read-only, so
/// no push during it), and its collection is timed with the registry stopped.
/// </summary>
internal sealed partial class Bench
{
    private const int GcImageLayers = 100;
    private const int GcFillClients = 8;
    private const int GcLoadPushers = 2;
    private const int GcLoadPullers = 1;

    private async Task RunGcAsync(CancellationToken ct) =>
        await SectionAsync("gc", "Online garbage collection: review throughput and its effect on pushes and pulls (Berth; SQLite + files)", new Results(), GcSectionAsync, ct);

    private async Task GcSectionAsync(List<string> preamble, CancellationToken ct)
    {
        var blobs = o.GcBlobs;
        var garbage = blobs / 10;
        var images = (blobs - garbage) / GcImageLayers;
        var loadSeconds = o.Smoke ? 3 : 15;
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("berth-gc"), null, extraArgs:
            ["--admin-password", Password, "--gc-interval", "off"]);
        using var api = new HttpClient { BaseAddress = berth.BaseUri, Timeout = TimeSpan.FromMinutes(30) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        using var client = new RegistryClient(berth);
        preamble.Add($"- Berth `--auth none --gc-interval off`, SQLite + files. Per repetition: {blobs:N0} small blobs (64 random bytes each) uploaded by {GcFillClients} clients (one POST with the digest each), {images:N0} images of {GcImageLayers} of them (config + {GcImageLayers - 1} layers) referencing {images * GcImageLayers:N0}, the other {garbage:N0} referenced by nothing. Every upload queues its blob as a candidate, so a pass reviews all {blobs:N0} (plus what the load adds).");
        preamble.Add($"- Load: {GcLoadPushers} clients pushing small images (2 blobs + manifest, new tags) and {GcLoadPullers} pulling the filled images (manifest + every blob, digests checked), for {loadSeconds} s with no pass, then for as long as one pass (`POST /api/v1/gc?grace=…`, the grace set so that everything filled is due and nothing the load pushes is) runs.");

        var throughput = new List<double>();
        var passSeconds = new List<double>();
        var pushRates = (Quiet: new List<double>(), During: new List<double>());
        var pullRates = (Quiet: new List<double>(), During: new List<double>());
        for (var rep = 0; rep < Math.Max(o.Reps, 1) && (rep == 0 || _clock.Elapsed < Budget); rep++)
        {
            var prefix = $"gc{rep}";
            var fill = Stopwatch.StartNew();
            var manifests = await FillForGcAsync(client, prefix, images, garbage, ct);
            var fillSeconds = fill.Elapsed.TotalSeconds;
            var filledAt = DateTime.UtcNow;
            Log($"gc: filled {blobs} blobs and {images} manifests in {fillSeconds:0.0} s ({blobs / fillSeconds:0}/s)");

            var quiet = await GcLoadAsync(client, prefix, manifests, Task.Delay(TimeSpan.FromSeconds(loadSeconds), ct), ct);
            Log($"gc: load with no pass: {quiet.PushRate:0.0} pushes/s, {quiet.PullRate:0.0} pulls/s");

            // Everything filled is older than the grace; what the load pushes during the pass stays younger than it.
            var grace = Math.Max(1, (int)(DateTime.UtcNow - filledAt).TotalSeconds - 1);
            var pass = Stopwatch.StartNew();
            var run = api.PostAsync($"api/v1/gc?grace={grace}s", null, ct);
            var during = await GcLoadAsync(client, prefix, manifests, run, ct);
            using var response = await run;
            response.EnsureSuccessStatusCode();
            var seconds = pass.Elapsed.TotalSeconds;
            var report = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            var reviewed = (long)report["candidatesReviewed"]!;
            var deleted = (long)report["blobsDeleted"]!;
            if (report["error"] is JsonValue error)
            {
                throw new InvalidOperationException($"the GC pass failed: {error}");
            }

            if (deleted < garbage)
            {
                throw new InvalidOperationException($"the GC pass deleted {deleted} blobs, fewer than the {garbage} filled as garbage");
            }

            throughput.Add(reviewed / seconds);
            passSeconds.Add(seconds);
            pushRates.Quiet.Add(quiet.PushRate);
            pushRates.During.Add(during.PushRate);
            pullRates.Quiet.Add(quiet.PullRate);
            pullRates.During.Add(during.PullRate);
            Log($"gc: pass reviewed {reviewed} candidates and deleted {deleted} blobs in {seconds:0.0} s ({reviewed / seconds:0}/s); load meanwhile {during.PushRate:0.0} pushes/s, {during.PullRate:0.0} pulls/s");
        }

        var offline = await DistributionOfflineGcAsync(images, garbage, ct);
        preamble.Add($"- Distribution {Version("docker-registry", "--version")}, filled the same way (POST + PUT per blob) in {offline.FillSeconds:0.0} s: `registry garbage-collect` with the registry stopped took **{offline.Seconds:0.0} s** and deleted {offline.Deleted:N0} blobs; no push or pull is served meanwhile (read-only mode refuses pushes). Berth's pass took {Median(passSeconds):0.0} s while serving the load above.");

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
        static string All(List<double> values) => string.Join(", ", values.Select(F));
        static string Change(List<double> during, List<double> quiet) => ((Median(during) / Median(quiet) - 1) * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
        preamble.Add($"- Review throughput: **{Median(throughput):N0} candidates/s** [{string.Join(", ", throughput.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)))}], with the load running.");
        preamble.Add($"- Pushes: **{F(Median(pushRates.Quiet))}/s** with no pass [{All(pushRates.Quiet)}], **{F(Median(pushRates.During))}/s** during the pass [{All(pushRates.During)}] (**{Change(pushRates.During, pushRates.Quiet)} %**).");
        preamble.Add($"- Pulls: **{F(Median(pullRates.Quiet))}/s** with no pass [{All(pullRates.Quiet)}], **{F(Median(pullRates.During))}/s** during the pass [{All(pullRates.During)}] (**{Change(pullRates.During, pullRates.Quiet)} %**). Every pull read every blob of an image and checked its digest: none was missing.");
    }

    /// <summary>
    /// Uploads <paramref name="images"/> images of <see cref="GcImageLayers"/> blobs (config and layers) and
    /// <paramref name="garbage"/> blobs no manifest names, and returns each image's manifest.
    /// </summary>
    private static async Task<List<(string Repository, string Digest, byte[] Manifest)>> FillForGcAsync(RegistryClient client, string prefix, int images, int garbage, CancellationToken ct, bool monolithicPost = true)
    {
        var manifests = new (string, string, byte[])[images];
        await Parallel.ForAsync(0, images, new ParallelOptions { MaxDegreeOfParallelism = GcFillClients, CancellationToken = ct }, async (i, token) =>
        {
            var repository = $"{prefix}/image{i % 16}";
            var digests = new string[GcImageLayers];
            for (var b = 0; b < GcImageLayers; b++)
            {
                var data = RandomNumberGenerator.GetBytes(64);
                digests[b] = RegistryClient.DigestOf(data);
                await UploadAsync(repository, data, digests[b], token);
            }

            var layers = string.Join(",", digests.Skip(1).Select(d => $$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{d}}","size":64}"""));
            var manifest = Encoding.UTF8.GetBytes(
                $$"""{"schemaVersion":2,"mediaType":"{{RegistryClient.OciManifest}}","config":{"mediaType":"{{RegistryClient.OciConfig}}","digest":"{{digests[0]}}","size":64},"layers":[{{layers}}]}""");
            await client.PutManifestAsync(repository, $"v{i}", manifest, RegistryClient.OciManifest, token);
            manifests[i] = (repository, RegistryClient.DigestOf(manifest), manifest);
        });

        await Parallel.ForAsync(0, garbage, new ParallelOptions { MaxDegreeOfParallelism = GcFillClients, CancellationToken = ct }, async (i, token) =>
        {
            var data = RandomNumberGenerator.GetBytes(64);
            await UploadAsync($"{prefix}/garbage", data, RegistryClient.DigestOf(data), token);
        });
        return [.. manifests];

        // Distribution 2.8.2 takes a blob in POST + PUT (the single-POST upload is not in its API).
        async Task UploadAsync(string repository, byte[] data, string digest, CancellationToken token)
        {
            if (monolithicPost)
            {
                await client.PostBlobAsync(repository, data, digest, token);
            }
            else
            {
                await client.UploadMonolithicAsync(repository, data, digest, null, token);
            }
        }
    }

    /// <summary>
    /// Distribution filled with the same shape of content, stopped, and collected with <c>registry garbage-collect</c>:
    /// the fill's and the collection's seconds, and the blobs it deleted (its "blob eligible for deletion" lines).
    /// </summary>
    private async Task<(double FillSeconds, double Seconds, int Deleted)> DistributionOfflineGcAsync(int images, int garbage, CancellationToken ct)
    {
        var workDir = Dir("distribution-gc");
        double fillSeconds;
        await using (var distribution = await Server.StartDistributionAsync(workDir, null))
        {
            using var client = new RegistryClient(distribution);
            var fill = Stopwatch.StartNew();
            await FillForGcAsync(client, "gcd", images, garbage, ct, monolithicPost: false);
            fillSeconds = fill.Elapsed.TotalSeconds;
            Log($"gc: Distribution filled in {fillSeconds:0.0} s");
        }

        var info = new ProcessStartInfo("docker-registry") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("garbage-collect");
        info.ArgumentList.Add(Path.Combine(workDir, "config.yml"));
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start docker-registry garbage-collect");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(30), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker-registry garbage-collect exited {process.ExitCode}: {output[..Math.Min(output.Length, 500)]}");
        }

        var deleted = output.Split('\n').Count(line => line.Contains("blob eligible for deletion", StringComparison.Ordinal));
        Log($"gc: Distribution's offline garbage-collect took {seconds:0.0} s, {deleted} blobs eligible for deletion");
        return (fillSeconds, seconds, deleted);
    }

    /// <summary>Pushes and pulls until <paramref name="until"/> completes; the rate of each per second.</summary>
    private static async Task<(double PushRate, double PullRate)> GcLoadAsync(RegistryClient client, string prefix, List<(string Repository, string Digest, byte[] Manifest)> images, Task until, CancellationToken ct)
    {
        long pushes = 0, pulls = 0;
        var clock = Stopwatch.StartNew();
        var pushers = Enumerable.Range(0, GcLoadPushers).Select(p => Task.Run(async () =>
        {
            for (var n = 0; !until.IsCompleted; n++)
            {
                await PushSmallImageAsync(client, $"{prefix}/load{p}", $"t{n}", ct);
                Interlocked.Increment(ref pushes);
            }
        }, ct));
        var pullers = Enumerable.Range(0, GcLoadPullers).Select(p => Task.Run(async () =>
        {
            for (var n = p; !until.IsCompleted; n += GcLoadPullers)
            {
                var (repository, digest, manifest) = images[n % images.Count];
                await client.PullCheckedAsync(repository, digest, manifest, ct);
                Interlocked.Increment(ref pulls);
            }
        }, ct));
        await Task.WhenAll(pushers.Concat(pullers));
        var seconds = clock.Elapsed.TotalSeconds;
        return (pushes / seconds, pulls / seconds);
    }
}
