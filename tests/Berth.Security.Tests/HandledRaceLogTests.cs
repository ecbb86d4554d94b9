using System.Net;
using Berth.Security.Tests.Support;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: concurrent first pushes into a new repository race to create its record; the code handles the lost race
/// (it reads the winner's row), so the server's output must show no error and no stack trace for it, where EF Core
/// used to log <c>fail:</c> with the full stack of the unique-constraint violation.
/// </summary>
public sealed class HandledRaceLogTests
{
    [Fact]
    public async Task Eight_parallel_first_pushes_of_one_image_log_no_error_and_no_stack_trace()
    {
        await using var server = await RegistryServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        var image = new ImageFactory().CreateImage(layers: 2);
        for (var round = 0; round < 3; round++)
        {
            var repo = $"race/first-push-{round}";
            var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => V2.TryPushImageAsync(http, repo, image, "v1"))));
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        }

        // The log is written asynchronously: a request-scoped line logged after our last request proves it is flushed.
        using (var marker = await http.GetAsync("v2/race/log-flushed/manifests/latest"))
        {
            Assert.Equal(HttpStatusCode.NotFound, marker.StatusCode);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!server.ReadLog().Contains("race/log-flushed", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var log = server.ReadLog();
        Assert.Contains("race/log-flushed", log, StringComparison.Ordinal);
        foreach (var line in log.Split('\n'))
        {
            Assert.DoesNotContain("fail:", line, StringComparison.Ordinal);
            Assert.DoesNotContain("crit:", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
            Assert.False(line.TrimStart().StartsWith("at ", StringComparison.Ordinal), $"a stack trace in the log: {line}");
        }
    }
}
