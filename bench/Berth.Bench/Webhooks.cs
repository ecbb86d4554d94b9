using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Bench;

/// <summary>
/// Issue 12's acceptance figures: small-image pushes into one repository with no webhook and with 10 (all to a fast
/// local receiver, an <see cref="HttpListener"/> answering 204), from one client and from four, push rate each way,
/// the server's CPU per push, and deliveries per second; then the push rate with 10 slow webhooks against none in
/// interleaved pairs (delivery is never on the push's path: the rows are written in the index's own transaction).
/// Berth alone.
/// </summary>
internal sealed partial class Bench
{
    private const int WebhooksPerRepository = 10;

    private async Task RunWebhooksAsync(CancellationToken ct)
    {
        await SectionAsync("webhooks", "Pushes with 0 vs 10 webhooks (Berth; a local receiver answering 204)", new Results(), WebhooksSectionAsync, ct);
    }

    private async Task WebhooksSectionAsync(List<string> preamble, CancellationToken ct)
    {
        var pushes = o.Smoke ? 20 : 1000; // 300 took 1.5 s a phase: the rates moved ±12 % between repetitions
        using var receiver = new CountingReceiver();
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("berth-webhooks"), null, extraArgs:
            ["--admin-password", Password, "--webhook-allow-hosts", "127.0.0.1"]);
        using var api = new HttpClient { BaseAddress = berth.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        using var client = new RegistryClient(berth);

        // Two loads: one client pushing one image after another, which leaves the second core to the rest (the question
        // "is delivery on the push's path?"), and four clients at once, which keep both cores busy with the pushes, the
        // bench's own clients and the receiver, so whatever the deliveries cost in CPU comes out of the push rate.
        Phase[] phases = [new(1, 0), new(1, WebhooksPerRepository), new(4, 0), new(4, WebhooksPerRepository)];
        var rates = phases.ToDictionary(p => p, _ => new List<double>());

        // Server CPU milliseconds per push, deliveries included (read once the last one arrived): unlike the rates, not
        // moved by whatever else the machine runs.
        var cpuPerPush = phases.ToDictionary(p => p, _ => new List<double>());
        var deliveryRates = new List<double>();
        for (var rep = 0; rep < Math.Max(o.Reps, 1) && (rep == 0 || _clock.Elapsed < Budget); rep++)
        {
            // Alternating order, as the other sections do.
            foreach (var phase in rep % 2 == 0 ? phases : phases.Reverse())
            {
                var repository = $"whbench{phase.Clients}c{phase.Hooks}r{rep}";
                using (var created = await api.PostAsJsonAsync("api/v1/repositories", new JsonObject { ["name"] = repository }, ct))
                {
                    created.EnsureSuccessStatusCode();
                }

                await AddWebhooksAsync(api, repository, phase.Hooks, $"{receiver.Url}{repository}/", ct);

                var before = receiver.Count;
                var cpuBefore = berth.CpuSeconds();
                var clock = Stopwatch.StartNew();
                await Parallel.ForAsync(0, pushes, new ParallelOptions { MaxDegreeOfParallelism = phase.Clients, CancellationToken = ct }, async (n, token) =>
                    await PushSmallImageAsync(client, repository, $"t{n}", token));
                var pushSeconds = clock.Elapsed.TotalSeconds;
                rates[phase].Add(pushes / pushSeconds);
                Log($"webhooks: {phase}, {pushes} pushes in {pushSeconds:0.00} s ({pushes / pushSeconds:0.0}/s)");
                if (phase.Hooks > 0)
                {
                    var expected = before + (pushes * phase.Hooks);
                    var limit = Stopwatch.StartNew();
                    while (receiver.Count < expected && limit.Elapsed < TimeSpan.FromMinutes(5))
                    {
                        await Task.Delay(20, ct);
                    }

                    var total = clock.Elapsed.TotalSeconds;
                    if (receiver.Count < expected)
                    {
                        Failures++;
                        _results.Note($"webhooks: only {receiver.Count - before} of {pushes * phase.Hooks} deliveries arrived within 5 minutes.");
                    }

                    if (phase.Clients > 1)
                    {
                        deliveryRates.Add((receiver.Count - before) / total);
                    }

                    Log($"webhooks: {receiver.Count - before} deliveries {total:0.00} s after the first push ({(receiver.Count - before) / total:0.0}/s)");
                }

                cpuPerPush[phase].Add((berth.CpuSeconds() - cpuBefore) * 1000 / pushes);
            }
        }

        string Rate(Phase phase) => Median(rates[phase]).ToString("0.0", CultureInfo.InvariantCulture);
        string Change(Phase phase, Phase baseline) => ((Median(rates[phase]) / Median(rates[baseline]) - 1) * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
        string All(Phase phase) => string.Join(", ", rates[phase].Select(r => r.ToString("0.0", CultureInfo.InvariantCulture)));
        preamble.Add($"- {pushes} pushes of a small image (1 KiB config, 1 KiB layer, OCI manifest, a new tag each) into one repository, `--auth none`, SQLite; median of {rates[phases[0]].Count} repetitions (every repetition's figure in brackets), phases in alternating order.");
        preamble.Add($"- One client: **{Rate(phases[0])} pushes/s** with no webhook [{All(phases[0])}], **{Rate(phases[1])} pushes/s** with {WebhooksPerRepository} webhooks [{All(phases[1])}] (**{Change(phases[1], phases[0])} %**).");
        preamble.Add($"- Four clients (both cores busy): **{Rate(phases[2])} pushes/s** with no webhook [{All(phases[2])}], **{Rate(phases[3])} pushes/s** with {WebhooksPerRepository} webhooks [{All(phases[3])}] (**{Change(phases[3], phases[2])} %**).");
        string Cpu(Phase phase) => Median(cpuPerPush[phase]).ToString("0.0", CultureInfo.InvariantCulture);
        var perDelivery = (Median(cpuPerPush[phases[3]]) - Median(cpuPerPush[phases[2]])) / WebhooksPerRepository;
        preamble.Add($"- Server CPU per push (user + system, counted until the last delivery arrived), four clients: **{Cpu(phases[2])} ms** with no webhook, **{Cpu(phases[3])} ms** with {WebhooksPerRepository} webhooks, so **{perDelivery.ToString("0.00", CultureInfo.InvariantCulture)} ms per delivery** (one client: {Cpu(phases[0])} and {Cpu(phases[1])} ms).");
        preamble.Add($"- Deliveries per second under four clients ({pushes * WebhooksPerRepository} per repetition, counted from the first push to the last arrival, pushing included): **{Median(deliveryRates).ToString("0.0", CultureInfo.InvariantCulture)}/s**.");
        await SlowReceiverPairsAsync(preamble, berth, api, client, receiver, clients: 1, ct);
        await SlowReceiverPairsAsync(preamble, berth, api, client, receiver, clients: 4, ct);
    }

    /// <summary>
    /// The acceptance question, "is delivery on the push's path?", asked apart from the CPU the deliveries themselves
    /// take on this two-core machine: 10 webhooks whose receiver takes 1 s per answer (some 10 deliveries a second for
    /// the whole series, a backlog growing behind them, as with a receiver that is down or slow) against none. One
    /// client leaves CPU to spare: a push waiting on anything webhooks do would show. Four clients keep both cores
    /// busy, so whatever CPU the webhooks and their deliveries take comes out of the push rate. Short blocks in
    /// pairs, the order alternating within each pair, compared pair by pair: the machine's drift over a run (±10 %
    /// between the phases above) moves both halves of a pair alike.
    /// </summary>
    private async Task SlowReceiverPairsAsync(List<string> preamble, Server berth, HttpClient api, RegistryClient client, CountingReceiver receiver, int clients, CancellationToken ct)
    {
        var pairs = o.Smoke ? 2 : 16;
        var block = o.Smoke ? 20 : clients == 1 ? 150 : 375; // a second or two a block
        string[] repositories = [$"whpairs-none-{clients}c", $"whpairs-slow-{clients}c"];
        foreach (var repository in repositories)
        {
            using var created = await api.PostAsJsonAsync("api/v1/repositories", new JsonObject { ["name"] = repository }, ct);
            created.EnsureSuccessStatusCode();
        }

        var hooks = await AddWebhooksAsync(api, repositories[1], WebhooksPerRepository, $"{receiver.Url}slow/{repositories[1]}/", ct);
        var rateRatios = new List<double>();
        var cpu = new[] { new List<double>(), new List<double>() };
        for (var pair = 0; pair < pairs && (pair < 2 || _clock.Elapsed < Budget); pair++)
        {
            var rates = new double[2];
            foreach (var side in pair % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            {
                var cpuBefore = berth.CpuSeconds();
                var clock = Stopwatch.StartNew();
                await Parallel.ForAsync(0, block, new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = ct }, async (n, token) =>
                    await PushSmallImageAsync(client, repositories[side], $"p{pair}-{n}", token));
                rates[side] = block / clock.Elapsed.TotalSeconds;
                cpu[side].Add((berth.CpuSeconds() - cpuBefore) * 1000 / block);
            }

            rateRatios.Add(rates[1] / rates[0]);
            Log($"webhooks: {clients} client(s), pair {pair}: {rates[0]:0.0} pushes/s with none, {rates[1]:0.0} with {WebhooksPerRepository} slow webhooks ({(rates[1] / rates[0] - 1) * 100:+0.0;-0.0} %)");
        }

        // Their backlog would load what runs next: disabled (it stays queued, undelivered).
        foreach (var id in hooks)
        {
            using var off = await api.PatchAsJsonAsync($"api/v1/repositories/{repositories[1]}/-/webhooks/{id}", new JsonObject { ["enabled"] = false }, ct);
            off.EnsureSuccessStatusCode();
        }

        static string Pct(double ratio) => ((ratio - 1) * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
        var ordered = rateRatios.Order().ToList();
        preamble.Add($"- **Delivery off the push's path, {(clients == 1 ? "one client" : $"{clients} clients")}** ({rateRatios.Count} pairs of {block}-push blocks into a repository with no webhook and one with {WebhooksPerRepository} webhooks whose receiver takes 1 s per answer, order alternating, compared within each pair): push rate with the webhooks **{Pct(Median(rateRatios))} %** (median of the pairs; middle half {Pct(ordered[ordered.Count / 4])} to {Pct(ordered[(3 * ordered.Count - 1) / 4])} %; every pair [{string.Join(", ", rateRatios.Select(Pct))}]). Server CPU per push {Median(cpu[0]).ToString("0.0", CultureInfo.InvariantCulture)} ms with none, {Median(cpu[1]).ToString("0.0", CultureInfo.InvariantCulture)} ms with the webhooks (their deliveries, some 10/s, included).");
    }

    private static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);

    /// <summary>Adds <paramref name="count"/> push webhooks to <paramref name="repository"/>, each to its own path under <paramref name="urlPrefix"/>; their ids.</summary>
    private static async Task<List<long>> AddWebhooksAsync(HttpClient api, string repository, int count, string urlPrefix, CancellationToken ct)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            using var hook = await api.PostAsJsonAsync(
                $"api/v1/repositories/{repository}/-/webhooks",
                new JsonObject { ["url"] = $"{urlPrefix}{i}", ["events"] = new JsonArray("push") },
                ct);
            hook.EnsureSuccessStatusCode();
            ids.Add((long)JsonNode.Parse(await hook.Content.ReadAsStringAsync(ct))!["id"]!);
        }

        return ids;
    }

    private sealed record Phase(int Clients, int Hooks)
    {
        public override string ToString() => $"{Clients} client(s), {Hooks} webhooks";
    }

    private static async Task PushSmallImageAsync(RegistryClient client, string repository, string tag, CancellationToken ct)
    {
        var config = RandomNumberGenerator.GetBytes(1024);
        var layer = RandomNumberGenerator.GetBytes(1024);
        var configDigest = RegistryClient.DigestOf(config);
        var layerDigest = RegistryClient.DigestOf(layer);
        await client.MountOrUploadAsync(repository, repository, config, configDigest, ct);
        await client.MountOrUploadAsync(repository, repository, layer, layerDigest, ct);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{RegistryClient.OciManifest}}","config":{"mediaType":"{{RegistryClient.OciConfig}}","digest":"{{configDigest}}","size":1024},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":1024}]}""");
        await client.PutManifestAsync(repository, tag, manifest, RegistryClient.OciManifest, ct);
    }

    /// <summary>Answers every request 204 after reading it, and counts them.</summary>
    private sealed class CountingReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private long _count;

        public CountingReceiver()
        {
            var port = FreeLoopbackPort();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        private static int FreeLoopbackPort()
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose()
        {
            _listener.Close();
            _ = _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    await context.Request.InputStream.CopyToAsync(Stream.Null);
                    if (context.Request.Url?.AbsolutePath.StartsWith("/slow/", StringComparison.Ordinal) == true)
                    {
                        await Task.Delay(1000);
                    }

                    context.Response.StatusCode = 204;
                    context.Response.Close();
                    Interlocked.Increment(ref _count);
                });
            }
        }
    }
}
