using System.Net;
using System.Net.Http.Headers;
using Berth.Security.Tests.Gc;
using Berth.Testing;

namespace Berth.Security.Tests.Quotas;

/// <summary>
/// A registry without an index (<c>--role registry</c>) has no API for quotas: <c>berth-server admin quota</c> sets,
/// shows and removes them on its database while it runs, and the registry enforces them as the full server does.
/// </summary>
public sealed class QuotaCommandTests : IAsyncLifetime
{
    private RegistryServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(extraArgs: ["--role", "registry", "--auth", "none"]);
        _http = new HttpClient { BaseAddress = _server.BaseUri };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_command_sets_shows_and_removes_a_quota_the_standalone_registry_enforces()
    {
        var (config, layer) = (GcRegistry.RandomBlob(200), GcRegistry.RandomBlob(30_000));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync("solo/app", config));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync("solo/app", layer));
        using (var content = new ByteArrayContent(GcRegistry.ManifestOf(config, [layer])))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(GcRegistry.ManifestType);
            using var put = await _http.PutAsync("v2/solo/app/manifests/v1", content);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var shown = await RunAsync("solo");
        Assert.True(shown.Succeeded, shown.Stderr);
        Assert.Contains("namespace=solo used=30200 limit=none", shown.Stdout, StringComparison.Ordinal);

        var set = await RunAsync("solo", "--limit", "40KiB");
        Assert.True(set.Succeeded, set.Stderr);
        Assert.Contains("namespace=solo used=30200 limit=40960 (29.5 KiB of 40.0 KiB)", set.Stdout, StringComparison.Ordinal);

        // Enforced by the running registry at once.
        using (var refused = await UploadResponseAsync("solo/other", GcRegistry.RandomBlob(20_000)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Contains("\"DENIED\"", body, StringComparison.Ordinal);
            Assert.Contains("quota exceeded for namespace solo: 29.5 KiB used of 40.0 KiB allowed, this blob needs 19.5 KiB", body, StringComparison.Ordinal);
        }

        Assert.Contains("namespace=solo used=30200 limit=40960", (await RunAsync("solo")).Stdout, StringComparison.Ordinal);

        var removed = await RunAsync("solo", "--remove");
        Assert.True(removed.Succeeded, removed.Stderr);
        Assert.Contains("solo: quota removed", removed.Stdout, StringComparison.Ordinal);
        Assert.Contains("limit=none", removed.Stdout, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await UploadAsync("solo/other", GcRegistry.RandomBlob(20_000)));

        // Refused before the database is touched: a bad size, a name that is no namespace, both actions at once.
        Assert.Equal(2, (await RunAsync("solo", "--limit", "lots")).ExitCode);
        Assert.Equal(2, (await RunAsync("solo", "--limit", "-5")).ExitCode);
        Assert.Equal(2, (await RunAsync("Not_A-Name!", "--limit", "1")).ExitCode);
        Assert.Equal(2, (await RunAsync("solo", "--limit", "1", "--remove")).ExitCode);
    }

    private async Task<HttpStatusCode> UploadAsync(string repository, byte[] blob)
    {
        using var response = await UploadResponseAsync(repository, blob);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> UploadResponseAsync(string repository, byte[] blob)
    {
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await _http.PostAsync($"v2/{repository}/blobs/uploads/?digest={GcRegistry.DigestOf(blob)}", content);
    }

    /// <summary><c>berth-server admin quota ARGS</c> on this registry's database.</summary>
    private Task<CliResult> RunAsync(params string[] args)
    {
        List<string> all = ["admin", "quota", .. args, "--data-dir", _server.DataDir];
        if (TestPostgres.Enabled)
        {
            all.AddRange(["--database", "postgres", "--connection-string", TestPostgres.ConnectionString(TestPostgres.DatabaseFor(_server.DataDir))]);
        }

        return ServerCommand.RunAsync(all);
    }
}
