using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Postgres.Tests.Support;
using Berth.Testing;

namespace Berth.Postgres.Tests;

/// <summary>
/// PostgreSQL stores <c>timestamp with time zone</c> from UTC values only; events from a separate registry carry their
/// own timestamps, with an offset or (another sender) without one. Each is applied, as UTC, not refused for good.
/// </summary>
public sealed class EventTimestampTests
{
    private const string Secret = "event-timestamp-secret";

    [Fact]
    public async Task Signed_events_with_an_offset_or_none_are_applied_as_UTC()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await using var index = await RegistryServer.StartAsync(
            extraArgs: [.. database.ServerArgs, "--role", "index", "--notify-secret", Secret, "--admin-password", "Adm1nPassw0rd!", "--Berth:BcryptWorkFactor", "4"],
            readyPath: ".well-known/jwks.json",
            defaultAuth: true);
        using var http = Images.Client(index.BaseUri);

        var cases = new[] { ("ts/offset", "2026-11-30T14:00:00+02:00"), ("ts/none", "2026-11-30T12:00:00"), ("ts/utc", "2026-11-30T12:00:00Z") };
        foreach (var (repository, timestamp) in cases)
        {
            var body = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["events"] = new JsonArray(new JsonObject
                {
                    ["id"] = Guid.NewGuid().ToString("N"),
                    ["timestamp"] = timestamp,
                    ["action"] = "push",
                    ["target"] = new JsonObject
                    {
                        ["mediaType"] = Images.ManifestType,
                        ["digest"] = "sha256:" + new string('a', 64),
                        ["size"] = 10,
                        ["length"] = 10,
                        ["repository"] = repository,
                        ["tag"] = "v1",
                        ["berthImageSize"] = 10,
                    },
                    ["actor"] = new JsonObject(),
                    ["source"] = new JsonObject { ["addr"] = "127.0.0.1:1", ["url"] = "http://127.0.0.1:1" },
                }),
            }.ToJsonString());
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/internal/events") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.docker.distribution.events.v2+json");
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation("X-Berth-Timestamp", now.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("X-Berth-Signature", Sign(now, body));
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{timestamp}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");

            var pushedAt = await database.ScalarAsync<DateTime>("SELECT \"LastPushedAt\" FROM repositories WHERE \"Name\" = $1", repository);
            Assert.Equal(new DateTime(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc), pushedAt.ToUniversalTime());
        }
    }

    private static string Sign(long timestamp, byte[] body)
    {
        var signed = Encoding.ASCII.GetBytes($"{timestamp}.").Concat(body).ToArray();
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
    }
}
