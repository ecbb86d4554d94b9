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
/// Issue 12's acceptance figure: small-image pushes into one repository with no webhook and with 10 (all to a fast
/// local receiver, an <see cref="HttpListener"/> answering 204), push rate both ways (delivery is never on the push's
/// path: the rows are written in the index's own transaction), and deliveries per second. Berth alone.
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
        var pushes = o.Smoke ? 20 : 300;
        const int clients = 4;
        using var receiver = new CountingReceiver();
        await using var berth = await Server.StartBerthAsync(o.BerthDll, Dir("berth-webhooks"), null, extraArgs:
            ["--admin-password", Password, "--webhook-allow-hosts", "127.0.0.1"]);
        using var api = new HttpClient { BaseAddress = berth.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        using var client = new RegistryClient(berth);

        // -1: 10 webhooks whose receiver takes 1 s per answer, so their deliveries (10/s) hardly load the machine: the
        // push rate then shows what the webhooks cost the pushes themselves (matching and writing the rows).
        const int Slow = -1;
        var rates = new Dictionary<int, List<double>> { [0] = [], [WebhooksPerRepository] = [], [Slow] = [] };
        var deliveryRates = new List<double>();
        for (var rep = 0; rep < Math.Max(o.Reps, 1) && (rep == 0 || _clock.Elapsed < Budget); rep++)
        {
            // Alternating order, as the other sections do.
            int[] order = rep % 2 == 0 ? [0, WebhooksPerRepository, Slow] : [Slow, WebhooksPerRepository, 0];
            foreach (var phase in order)
            {
                var hooks = phase == Slow ? WebhooksPerRepository : phase;
                var repository = $"whbench{(phase == Slow ? "slow" : hooks.ToString(CultureInfo.InvariantCulture))}r{rep}";
                var ids = new List<long>();
                using (var created = await api.PostAsJsonAsync("api/v1/repositories", new JsonObject { ["name"] = repository }, ct))
                {
                    created.EnsureSuccessStatusCode();
                }

                for (var i = 0; i < hooks; i++)
                {
                    using var hook = await api.PostAsJsonAsync(
                        $"api/v1/repositories/{repository}/-/webhooks",
                        new JsonObject { ["url"] = $"{receiver.Url}{(phase == Slow ? "slow/" : "")}{repository}/{i}", ["events"] = new JsonArray("push") },
                        ct);
                    hook.EnsureSuccessStatusCode();
                    ids.Add((long)JsonNode.Parse(await hook.Content.ReadAsStringAsync(ct))!["id"]!);
                }

                var before = receiver.Count;
                var clock = Stopwatch.StartNew();
                await Parallel.ForAsync(0, pushes, new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = ct }, async (n, token) =>
                    await PushSmallImageAsync(client, repository, $"t{n}", token));
                var pushSeconds = clock.Elapsed.TotalSeconds;
                rates[phase].Add(pushes / pushSeconds);
                Log($"webhooks: {hooks} {(phase == Slow ? "slow " : "")}webhooks, {pushes} pushes in {pushSeconds:0.00} s ({pushes / pushSeconds:0.0}/s)");
                if (phase == Slow)
                {
                    // Their backlog would load the next phases: disabled (it stays queued, undelivered).
                    foreach (var id in ids)
                    {
                        using var off = await api.PatchAsJsonAsync($"api/v1/repositories/{repository}/-/webhooks/{id}", new JsonObject { ["enabled"] = false }, ct);
                        off.EnsureSuccessStatusCode();
                    }
                }
                else if (hooks > 0)
                {
                    var expected = before + (pushes * hooks);
                    var limit = Stopwatch.StartNew();
                    while (receiver.Count < expected && limit.Elapsed < TimeSpan.FromMinutes(5))
                    {
                        await Task.Delay(20, ct);
                    }

                    var total = clock.Elapsed.TotalSeconds;
                    if (receiver.Count < expected)
                    {
                        Failures++;
                        _results.Note($"webhooks: only {receiver.Count - before} of {pushes * hooks} deliveries arrived within 5 minutes.");
                    }

                    deliveryRates.Add((receiver.Count - before) / total);
                    Log($"webhooks: {receiver.Count - before} deliveries {total:0.00} s after the first push ({(receiver.Count - before) / total:0.0}/s)");
                }
            }
        }

        static string Median(List<double> values) => values.Count == 0 ? "n/a" : values.Order().ElementAt(values.Count / 2).ToString("0.0", CultureInfo.InvariantCulture);
        var none = rates[0].Order().ElementAt(rates[0].Count / 2);
        var ten = rates[WebhooksPerRepository].Order().ElementAt(rates[WebhooksPerRepository].Count / 2);
        preamble.Add($"- {pushes} pushes of a small image (1 KiB config, 1 KiB layer, OCI manifest, a new tag each) from {clients} clients at once, into one repository, `--auth none`, SQLite; median of {rates[0].Count} repetitions.");
        preamble.Add($"- Push rate with no webhook: **{Median(rates[0])} pushes/s**; with {WebhooksPerRepository} webhooks on the repository: **{Median(rates[WebhooksPerRepository])} pushes/s** ({(ten / none - 1) * 100:+0.0;-0.0} %).");
        var slow = rates[Slow].Order().ElementAt(rates[Slow].Count / 2);
        preamble.Add($"- With {WebhooksPerRepository} webhooks whose receiver takes 1 s per answer (deliveries throttled to some 10/s, so they hardly load the machine; what the webhooks cost the pushes themselves): **{Median(rates[Slow])} pushes/s** ({(slow / none - 1) * 100:+0.0;-0.0} %).");
        preamble.Add($"- Deliveries per second ({pushes * WebhooksPerRepository} per repetition, counted from the first push to the last arrival, pushing included): **{Median(deliveryRates)}/s**.");
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
