using System.Text.Json;

namespace Berth.Bench;

/// <summary>
/// Issue 16's token rows: Berth's default deployment (all-in-one, <c>--auth token</c>) against Distribution 2.8.2 with
/// htpasswd, in one interleaved run: /token itself (Berth only), a Bearer-authenticated manifest GET and a many-layer
/// skopeo push (skopeo does the token exchange as any client would).
/// </summary>
internal sealed partial class Bench
{
    /// <summary>The admin's own namespace: the token service grants it push without any set-up.</summary>
    private const string TokenNamespace = "admin";

    private async Task RunTokenSectionAsync(CancellationToken ct)
    {
        var htpasswd = await HtpasswdAsync(ct);
        await using var berth = await Server.StartBerthTokenAsync(o.BerthDll, Dir("berth-token"), ("admin", Password));
        await using var distribution = htpasswd is null ? null : await Server.StartDistributionAsync(Dir("distribution-token"), (User, Password, htpasswd));
        using var b = new Target(berth);
        using var d = distribution is null ? null : new Target(distribution);
        Target[] targets = d is null ? [b] : [b, d];
        if (d is null)
        {
            _results.Note("token: no htpasswd tool, so Distribution has no figures beside Berth's token auth.");
        }

        if (TokenWorkloads().Any(w => w.Id is not "token" and not "ui-repo" && o.Runs(w.Id)))
        {
            Log("set-up (token auth / htpasswd)");
            var pull = Images.Image(Dir("images", "token-pull"), 1, 4 << 10, _random);
            foreach (var t in targets)
            {
                await Skopeo.PushAsync(pull, t.Server, $"{TokenNamespace}/pull", all: false, ct);
            }
        }

        if (o.Runs("ui-repo"))
        {
            // --entries tags (empty OCI indexes, 8 clients) in one public repository, with the admin's push token.
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            b.Client.UseBearer(await FetchTokenAsync(b, $"repository:{TokenNamespace}/tags:pull,push", ct));
            await Parallel.ForAsync(0, o.Entries, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
                await b.Client.PutManifestAsync($"{TokenNamespace}/tags", $"t{i:D6}", EmptyIndex, OciIndex, token));
            Log($"  Berth: {o.Entries} tags pushed for the web UI page in {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }

        _results.Note($"Load average at the start of the token workloads: {LoadAverage()}.");
        await RepeatAsync(targets, TokenWorkloads(), "token.", ct);
        RecordRunPeak(targets, "token.", "Peak RSS over the run (token auth / htpasswd)");
    }

    private async Task<Outcome> TokenManifestGetAsync(Target target, int rep, CancellationToken ct)
    {
        // Berth: a token for the repository, fetched once (as a client does before its requests), then Bearer on every
        // GET. Distribution: Basic credentials on every GET, as its clients send them.
        target.Authorization = target.Server.Registry == Registry.Berth ? $"Bearer {await FetchTokenAsync(target, $"repository:{TokenNamespace}/pull:pull", ct)}" : null;
        try
        {
            return await RateAsync(target, "token.manifest-get", "GET", $"/v2/{TokenNamespace}/pull/manifests/v1", RegistryClient.ManifestAccept, 32, ct);
        }
        finally
        {
            target.Authorization = null;
        }
    }

    /// <summary>A registry token from Berth's /token with the server's Basic credentials.</summary>
    private static async Task<string> FetchTokenAsync(Target target, string scope, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target.Server.BaseUri, $"/token?service=berth-registry&scope={Uri.EscapeDataString(scope)}"));
        var (user, password) = target.Server.Credentials ?? throw new InvalidOperationException("a token needs credentials");
        request.Headers.Authorization = RegistryClient.BasicAuth(user, password);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{target.Server.Name}: /token answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("token", out var token) && token.GetString() is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{target.Server.Name}: /token answered without a token");
    }
}
