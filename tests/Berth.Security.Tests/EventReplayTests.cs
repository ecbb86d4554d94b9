using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Defect 7: an attacker who recorded a genuine signed registry → index event replays it verbatim. The index must
/// apply it once, also across a restart and when the copies arrive at the same time, and must refuse signatures
/// dated more than 60 s ahead (which would stretch the replay window).
/// </summary>
public sealed class EventReplayTests : IAsyncLifetime
{
    private readonly string _secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private Site _index = null!;
    private Actor _alice = null!;
    private string _repo = "";

    public async Task InitializeAsync()
    {
        _index = await Site.StartAsync(["--role", "index", "--notify-secret", _secret], defaultAuth: true, readyPath: ".well-known/jwks.json");
        _alice = await _index.CreateUserAsync("alice");
        _repo = $"{_alice.Name}/replayed";
        using var created = await _alice.SendAsync(HttpMethod.Post, "api/v1/repositories", new JsonObject { ["name"] = _repo });
        await Expect.StatusAsync(created, HttpStatusCode.Created);
    }

    public async Task DisposeAsync() => await _index.DisposeAsync();

    [Fact]
    public async Task A_captured_event_replayed_after_an_index_restart_is_not_applied_again()
    {
        var captured = Signed(PullEnvelope(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(captured));
        Assert.Equal(1, await PullCountAsync());

        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(captured));
        Assert.Equal(1, await PullCountAsync());

        // The restart forgets everything held in memory; the signature is still inside its 5-minute window.
        await _index.Server.KillAsync();
        await _index.Server.RestartAsync();
        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(captured));
        Assert.Equal(1, await PullCountAsync());

        // The control: a new event (new id) does count.
        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(Signed(PullEnvelope(), DateTimeOffset.UtcNow.ToUnixTimeSeconds())));
        Assert.Equal(2, await PullCountAsync());
    }

    [Fact]
    public async Task Copies_of_one_event_delivered_at_the_same_time_are_applied_once()
    {
        var captured = Signed(PullEnvelope(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => DeliverAsync(captured)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a));
        Assert.Equal(1, await PullCountAsync());
    }

    [Fact]
    public async Task A_signature_dated_90_seconds_ahead_is_refused_and_30_seconds_ahead_is_accepted()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(HttpStatusCode.Unauthorized, await DeliverAsync(Signed(PullEnvelope(), now + 90)));
        Assert.Equal(0, await PullCountAsync());

        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(Signed(PullEnvelope(), now + 30)));
        Assert.Equal(1, await PullCountAsync());
    }

    private byte[] PullEnvelope() => Encoding.UTF8.GetBytes($$$"""
        {"events":[{"id":"{{{Guid.NewGuid():N}}}","timestamp":"{{{DateTime.UtcNow:O}}}","action":"pull","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{new string('0', 64)}}}","size":1,"length":1,"repository":"{{{_repo}}}","tag":"latest"},"actor":{"name":"{{{_alice.Name}}}"}}]}
        """);

    /// <summary>The bytes and headers of one delivery, exactly as a registry sends them (and an eavesdropper keeps them).</summary>
    private (byte[] Body, string Timestamp, string Signature) Signed(byte[] body, long timestamp)
    {
        var stamp = timestamp.ToString(CultureInfo.InvariantCulture);
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), (byte[])[.. Encoding.ASCII.GetBytes($"{stamp}."), .. body]));
        return (body, stamp, signature);
    }

    private async Task<HttpStatusCode> DeliverAsync((byte[] Body, string Timestamp, string Signature) delivery)
    {
        using var http = _index.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/internal/events") { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = new("application/vnd.docker.distribution.events.v2+json");
        request.Headers.TryAddWithoutValidation("X-Berth-Timestamp", delivery.Timestamp);
        request.Headers.TryAddWithoutValidation("X-Berth-Signature", delivery.Signature);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<long> PullCountAsync() => (long)(await _alice.GetJsonAsync($"api/v1/repositories/{_repo}"))["pullCount"]!;
}
