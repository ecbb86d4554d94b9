using System.Diagnostics;
using System.Text.RegularExpressions;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 10, stateless nodes: a job meant to run once per cluster (here the abandoned-upload purge, every second with
/// <c>--upload-idle-seconds 2</c>) runs on the one node holding its lease in the shared database, and when that node
/// dies another takes the lease once it lapses (2.5 periods).
/// </summary>
public sealed partial class ClusterJobLeaseTests
{
    private const string Lease = "abandoned-uploads";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_purge_runs_on_one_node_of_three_and_moves_when_that_node_is_killed()
    {
        string[] args = ["--upload-idle-seconds", "2", "--Logging:LogLevel:Berth.Server.Hosting.ClusterLeases", "Debug"];
        await using var first = await Site.StartAsync(args);
        await using var second = await Site.StartAsync(["--data-dir", first.Server.DataDir, .. args]);
        await using var third = await Site.StartAsync(["--data-dir", first.Server.DataDir, .. args]);
        Site[] nodes = [first, second, third];

        // Some node takes it; it then runs the purge each period, and no other node runs it meanwhile.
        var holder = await PollAsync(() => nodes.SingleOrDefault(n => Runs(n) >= 4), "a node to run the purge four times");
        var others = nodes.Where(n => n != holder).ToList();
        foreach (var node in others)
        {
            Assert.Equal(0, Runs(node));
            Assert.DoesNotContain($"Took the cluster lease {Lease}", node.Server.ReadLog(), StringComparison.Ordinal);
        }

        Assert.Equal(1, Count(holder.Server.ReadLog(), $"Took the cluster lease {Lease}"));

        // Killed: one of the others takes over within the lease (2.5 s) and a period, plus start-up slack.
        await holder.Server.KillAsync();
        var clock = Stopwatch.StartNew();
        var successor = await PollAsync(() => others.FirstOrDefault(n => Runs(n) >= 1), "another node to take the lease");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the lease moved only after {clock.Elapsed.TotalSeconds:F1} s");
        var successorRuns = await PollAsync(() => Runs(successor) >= 3 ? (int?)Runs(successor) : null, "the successor to run three times");
        Assert.True(successorRuns >= 3);
        Assert.Equal(0, Runs(others.Single(n => n != successor)));
    }

    private static int Runs(Site node) => Count(node.Server.ReadLog(), $"Running {Lease} under its cluster lease");

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    private static async Task<T> PollAsync<T>(Func<T?> probe, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"waited {Deadline.TotalSeconds} s for {what}");
        return default!;
    }
}
