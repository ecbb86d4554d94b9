using System.Diagnostics;
using System.Globalization;
using Berth.Testing;

namespace Berth.Bench;

/// <summary>
/// Issue 13's figures: pulls through a pull-through cache, Berth's (<c>--mirror URL</c>) against CNCF Distribution 2.8.2
/// in proxy mode, both in front of one Berth origin. Cold (first pull: the cache fetches from the origin while it serves)
/// and warm (the same pull again, from the cache) for the many-layer and the big image; and what 16 concurrent cold pulls
/// of one image cost the origin, counted by a forwarder in front of it per mirror (the tests' <see cref="CountingForwarder"/>).
/// </summary>
internal sealed partial class Bench
{
    private const int ConcurrentImageLayers = 4;

    private async Task RunMirrorAsync(CancellationToken ct) =>
        await SectionAsync("mirror", "Pull-through cache: Berth's mirror vs Distribution 2.8.2 in proxy mode, one Berth origin", new Results(), MirrorSectionAsync, ct);

    /// <summary>skopeo's time for the big image from its local layout, per repetition (no server involved).</summary>
    private readonly List<double> _skopeoFloor = [];

    private async Task MirrorSectionAsync(List<string> preamble, CancellationToken ct)
    {
        await using var origin = await Server.StartBerthAsync(o.BerthDll, Dir("mirror", "origin"), null);
        await using var toBerth = await CountingForwarder.StartAsync(origin.BaseUri, ct);
        await using var toDistribution = await CountingForwarder.StartAsync(origin.BaseUri, ct);
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("mirror", "berth"), null, extraArgs: ["--mirror", $"http://{toBerth.HostPort}"]);
        await using var distribution = await Server.StartDistributionAsync(Dir("mirror", "distribution"), null, proxy: $"http://{toDistribution.HostPort}");
        using var originTarget = new Target(origin);
        var upstream = new Dictionary<Registry, CountingForwarder> { [Registry.Berth] = toBerth, [Registry.Distribution] = toDistribution };
        Target[] targets = [new Target(berth), new Target(distribution)];
        try
        {
            var many = $"skopeo pull through the mirror, {o.ManyLayers} layers of {Options.Size(o.ManyLayerBytes)}";
            var big = $"skopeo pull through the mirror, 1 layer of {Options.Size(o.BlobBytes)}";
            var concurrentBytes = o.PullLayerBytes / ConcurrentImageLayers;
            var concurrent = $"{o.ConcurrentPulls} concurrent cold skopeo pulls, {ConcurrentImageLayers} layers of {Options.Size(concurrentBytes)}";
            foreach (var (id, title) in new[] { ("mirror-many", many), ("mirror-big", big) })
            {
                Define(id, title, "cold", "cold pull, wall time", "s", Better.Lower, 1.0);
                Define(id, title, "warm", "warm pull, wall time", "s", Better.Lower, 1 / 1.5);
                Define(id, title, "cold_cpu", "cold pull, mirror CPU", "CPU-s", Better.Lower, headline: false);
                Define(id, title, "warm_cpu", "warm pull, mirror CPU", "CPU-s", Better.Lower, headline: false);
            }

            var bigBlob = $"warm GET of the {Options.Size(o.BlobBytes)} layer through the mirror (curl to /dev/null)";
            Define("mirror-big-blob", bigBlob, "warm", "warm blob GET, wall time", "s", Better.Lower, 1 / 1.5);
            Define("mirror-concurrent", concurrent, "s", "wall time", "s", Better.Lower);
            Define("mirror-concurrent", concurrent, "upstream_requests", "requests reaching the origin", "requests", Better.Lower);
            Define("mirror-concurrent", concurrent, "upstream_blob_gets", "blob GETs reaching the origin", "GETs", Better.Lower);
            Define("mirror-concurrent", concurrent, "upstream_max_per_blob", "most GETs of one blob at the origin", "GETs", Better.Lower);
            preamble.Add($"- One Berth origin (`--auth none`); Berth's mirror `--mirror URL` (`--auth none`, SQLite + filesystem); Distribution {Version("docker-registry", "--version")} with `proxy: remoteurl: URL` (filesystem, in-memory blob descriptor cache). Each mirror reaches the origin through its own counting forwarder (Kestrel, streaming, in this process): the same extra hop for both.");
            preamble.Add($"- Per repetition new images are pushed to the origin; each mirror pulls each image once cold (its cache empty for it) and once warm (at once after). The order of the mirrors alternates. Targets (issue 13): warm ≥ 1.5× Distribution (time ratio ≤ 0.67), cold ≥ 1× (ratio ≤ 1).");
            preamble.Add($"- {o.ConcurrentPulls} concurrent cold pulls: one new image per mirror, {ConcurrentImageLayers} layers + config; upstream figures count every request the forwarder passed on (token-less `/v2/` probes included), blob GETs and the most GETs of any one blob.");

            for (var rep = o.Warmup ? 0 : 1; rep <= o.Reps; rep++)
            {
                if (rep > 1 && _clock.Elapsed > Budget)
                {
                    _results.Note($"Time budget ({o.MaxMinutes} min) reached: the mirror workloads ran {rep - 1} of {o.Reps} repetitions.");
                    break;
                }

                Log(rep == 0 ? "mirror: warm-up pass (not recorded)" : $"mirror: repetition {rep}/{o.Reps}");
                var order = rep % 2 == 1 ? targets : targets.Reverse().ToArray();
                var manyImage = Images.Image(Dir("mirror", "images", "many"), o.ManyLayers, o.ManyLayerBytes, _random);
                var bigImage = Images.Image(Dir("mirror", "images", "big"), 1, o.BlobBytes, _random);
                await Skopeo.PushAsync(manyImage, origin, $"bench/mirror-many-{rep}", all: false, ct);
                await Skopeo.PushAsync(bigImage, origin, $"bench/mirror-big-{rep}", all: false, ct);
                if (rep > 0)
                {
                    // skopeo's own cost for the big image, no server at all: the floor under both mirrors' pulls.
                    var local = Dir("pulls", "mirror-big-local");
                    var floor = await Skopeo.CopyLocalAsync(bigImage, local, ct);
                    TryDelete(local);
                    Log($"  mirror-big         skopeo from the local layout (no server) {floor.TotalSeconds:0.00} s");
                    _skopeoFloor.Add(floor.TotalSeconds);
                }

                foreach (var (id, repository) in new[] { ("mirror-many", $"bench/mirror-many-{rep}"), ("mirror-big", $"bench/mirror-big-{rep}") })
                {
                    foreach (var target in order)
                    {
                        // The mirror's own CPU beside the wall time: on a loaded machine the time is the noisier figure.
                        var cpu0 = target.Server.CpuSeconds();
                        var cold = await MirrorPullAsync(target, id, repository, ct);
                        var cpu1 = target.Server.CpuSeconds();
                        var warm = await MirrorPullAsync(target, id, repository, ct);
                        var cpu2 = target.Server.CpuSeconds();
                        Log($"  {id,-18} {target.Server.Name,-12} cold {cold:0.00} s ({cpu1 - cpu0:0.00} CPU-s), warm {warm:0.00} s ({cpu2 - cpu1:0.00} CPU-s)");
                        if (id == "mirror-big" && await WarmBlobGetAsync(target, repository, ct) is { } blobSeconds)
                        {
                            Log($"  mirror-big-blob    {target.Server.Name,-12} warm curl GET {blobSeconds:0.00} s");
                            if (rep > 0)
                            {
                                _results.Add("mirror-big-blob.warm", target.Registry, blobSeconds);
                            }
                        }

                        if (rep > 0 && cold is { } c && warm is { } w)
                        {
                            _results.Add($"{id}.cold", target.Registry, c);
                            _results.Add($"{id}.warm", target.Registry, w);
                            _results.Add($"{id}.cold_cpu", target.Registry, cpu1 - cpu0);
                            _results.Add($"{id}.warm_cpu", target.Registry, cpu2 - cpu1);
                        }
                    }
                }

                foreach (var target in order)
                {
                    // A new image per mirror, so each pulls it cold.
                    var image = Images.Image(Dir("mirror", "images", "concurrent"), ConcurrentImageLayers, concurrentBytes, _random);
                    var repository = $"bench/mirror-concurrent-{target.Registry}-{rep}".ToLowerInvariant();
                    await Skopeo.PushAsync(image, origin, repository, all: false, ct);
                    var forwarder = upstream[target.Registry];
                    forwarder.Clear();
                    var seconds = await ConcurrentMirrorPullsAsync(target, repository, ct);
                    var requests = forwarder.Requests.Count;
                    var blobGets = forwarder.BlobGetsByDigest();
                    var gets = blobGets.Values.Sum();
                    var most = blobGets.Count == 0 ? 0 : blobGets.Values.Max();
                    Log($"  mirror-concurrent  {target.Server.Name,-12} {seconds:0.00} s; origin saw {requests} requests, {gets} blob GETs for {ConcurrentImageLayers + 1} blobs (at most {most} of one)");
                    if (rep > 0 && seconds is { } s)
                    {
                        _results.Add("mirror-concurrent.s", target.Registry, s);
                        _results.Add("mirror-concurrent.upstream_requests", target.Registry, requests);
                        _results.Add("mirror-concurrent.upstream_blob_gets", target.Registry, gets);
                        _results.Add("mirror-concurrent.upstream_max_per_blob", target.Registry, most);
                    }
                }
            }
        }
        finally
        {
            foreach (var target in targets)
            {
                target.Dispose();
            }
        }

        if (_skopeoFloor.Count > 0)
        {
            var floor = _skopeoFloor.Order().ElementAt(_skopeoFloor.Count / 2);
            preamble.Add($"- skopeo copying the big image from its local OCI layout into `dir:`, no server at all: **{floor.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} s** (median of {_skopeoFloor.Count}). No mirror's skopeo pull of it can take less; the curl row shows the servers' own part of a warm pull.");
        }
    }

    /// <summary>curl's time for the (single) layer of the image's tag <c>v1</c> through the mirror, already cached; null when not a 200.</summary>
    private async Task<double?> WarmBlobGetAsync(Target target, string repository, CancellationToken ct)
    {
        // The layer as the registries hold it (skopeo compresses uncompressed layers when it pushes).
        using var http = new HttpClient { BaseAddress = target.Server.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/v1");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(request, ct);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        var layer = (string)manifest["layers"]![0]!["digest"]!;
        var (status, elapsed, _, _) = await Curl.RunAsync("GET", new Uri(target.Server.BaseUri, $"/v2/{repository}/blobs/{layer}"), null, [], ct);
        if (status == 200)
        {
            return elapsed.TotalSeconds;
        }

        MirrorFailure(target, "mirror-big-blob", new InvalidOperationException($"warm blob GET answered {status}"));
        return null;
    }

    /// <summary>One skopeo pull through a mirror in seconds; a failure is noted (and counted) instead of ending the section.</summary>
    private async Task<double?> MirrorPullAsync(Target target, string id, string repository, CancellationToken ct)
    {
        var destination = Dir("pulls", $"{id}-{target.Registry}");
        try
        {
            return (await Skopeo.PullAsync(target.Server, repository, "v1", destination, all: false, ct)).TotalSeconds;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            MirrorFailure(target, id, e);
            return null;
        }
        finally
        {
            TryDelete(destination);
        }
    }

    private async Task<double?> ConcurrentMirrorPullsAsync(Target target, string repository, CancellationToken ct)
    {
        var destinations = Enumerable.Range(0, o.ConcurrentPulls).Select(i => Dir("pulls", $"mc{i}-{target.Registry}")).ToList();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(destinations.Select(d => Skopeo.PullAsync(target.Server, repository, "v1", d, all: false, ct)));
            return stopwatch.Elapsed.TotalSeconds;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            MirrorFailure(target, "mirror-concurrent", e);
            return null;
        }
        finally
        {
            destinations.ForEach(TryDelete);
        }
    }

    private void MirrorFailure(Target target, string id, Exception e)
    {
        // Distribution failing is a finding about it; Berth failing fails the run.
        if (target.Registry == Registry.Berth)
        {
            Failures++;
        }

        var first = e.Message.Split('\n')[0];
        Log($"  {id,-18} {target.Server.Name,-12} FAILED: {first}");
        _results.Note(string.Create(CultureInfo.InvariantCulture, $"{id}: {target.Server.Name} failed: {first[..Math.Min(first.Length, 300)]}"));
    }
}
