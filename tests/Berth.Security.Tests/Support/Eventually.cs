using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Security.Tests.Support;

/// <summary>
/// Bounded polls for what the index learns in the background: registry changes reach its records from the outbox,
/// shortly after the push or delete that caused them.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>GETs <paramref name="path"/> as <paramref name="actor"/> until it answers 200 with JSON for which <paramref name="done"/> holds.</summary>
    public static async Task<JsonNode> JsonAsync(Actor actor, string path, Func<JsonNode, bool> done)
    {
        var clock = Stopwatch.StartNew();
        var last = "(no answer)";
        while (clock.Elapsed < Limit)
        {
            using var response = await actor.SendAsync(HttpMethod.Get, path);
            var text = await response.Content.ReadAsStringAsync();
            last = $"{(int)response.StatusCode} {text}";
            if (response.StatusCode == HttpStatusCode.OK && done(JsonNode.Parse(text)!))
            {
                return JsonNode.Parse(text)!;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"GET {path} did not reach the expected state within {Limit.TotalSeconds} s; last: {last}");
        return null!;
    }
}
