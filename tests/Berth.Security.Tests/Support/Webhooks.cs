using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Security.Tests.Support;

/// <summary>A repository webhook created through the API: its id, the secret handed out once, and its API path.</summary>
public sealed record CreatedHook(long Id, string Secret, string Path);

/// <summary>Webhook management and delivery-log calls the delivery tests share.</summary>
public static class Webhooks
{
    public static async Task<CreatedHook> CreateAsync(Actor admin, string repository, string url, params string[] events)
    {
        var path = $"api/v1/repositories/{repository}/-/webhooks";
        var body = new JsonObject { ["url"] = url };
        if (events.Length > 0)
        {
            body["events"] = new JsonArray(events.Select(e => (JsonNode?)e).ToArray());
        }

        using var response = await admin.SendAsync(HttpMethod.Post, path, body);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var created = await Json.ReadAsync(response);
        var id = (long)created["id"]!;
        return new CreatedHook(id, (string)created["secret"]!, $"{path}/{id}");
    }

    /// <summary>The delivery log, oldest first (the API lists newest first).</summary>
    public static async Task<List<JsonNode>> DeliveriesAsync(Actor admin, CreatedHook hook) =>
        (await admin.GetJsonAsync($"{hook.Path}/deliveries")).AsArray().Select(d => d!).Reverse().ToList();

    /// <summary>Polls the webhook's delivery log until <paramref name="done"/> holds; fails after <paramref name="limit"/>.</summary>
    public static async Task<List<JsonNode>> WaitForLogAsync(Actor admin, CreatedHook hook, Func<List<JsonNode>, bool> done, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var log = await DeliveriesAsync(admin, hook);
            if (done(log))
            {
                return log;
            }

            Assert.True(clock.Elapsed < limit, $"the delivery log did not reach the expected state within {limit.TotalSeconds} s: {new JsonArray(log.Select(d => d.DeepClone()).ToArray()).ToJsonString()}");
            await Task.Delay(100);
        }
    }

    public static async Task<JsonNode> DeliveryAsync(Actor admin, CreatedHook hook, long deliveryId) =>
        await admin.GetJsonAsync($"{hook.Path}/deliveries/{deliveryId}");
}
