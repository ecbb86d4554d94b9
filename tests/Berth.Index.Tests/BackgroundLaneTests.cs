using Berth.Server.Hosting;

namespace Berth.Index.Tests;

/// <summary>
/// Issue 12's "delivery never on the push's critical path": webhook deliveries and the outbox run on the background
/// lane, whose threads the kernel schedules after the request threads. What the lane promises: work started on it stays
/// on its threads across awaits (so its CPU is spent at the lower priority), and those threads carry the lower nice value.
/// </summary>
public sealed class BackgroundLaneTests
{
    [Fact]
    public async Task Work_stays_on_the_lane_across_awaits()
    {
        using var lane = new BackgroundLane(2);
        var threads = new List<string?>();
        await lane.RunAsync(
            async () =>
            {
                threads.Add(Thread.CurrentThread.Name);
                await Task.Delay(20);
                threads.Add(Thread.CurrentThread.Name);
                await Task.Yield();
                threads.Add(Thread.CurrentThread.Name);

                // Work a turn starts from inside the lane (as the delivery worker starts a webhook's turn) is on it too.
                threads.Add(await Run(lane, async () => { await Task.Delay(5); return Thread.CurrentThread.Name; }));
            },
            CancellationToken.None);

        Assert.Equal(4, threads.Count);
        Assert.All(threads, name => Assert.StartsWith("berth-background-", name));
    }

    [Fact]
    public async Task Its_threads_run_at_a_lower_priority_than_request_threads()
    {
        using var lane = new BackgroundLane(1);
        var nice = 0;
        await lane.RunAsync(
            async () =>
            {
                await Task.Yield();
                nice = ThreadNice();
            },
            CancellationToken.None);

        Assert.True(lane.Lowered);
        Assert.Equal(BackgroundLane.Nice, nice);
        Assert.Equal(0, ThreadNice()); // the caller's thread, as a request's: not moved to the lane, not lowered
    }

    [Fact]
    public async Task Work_queued_after_it_stops_still_runs_to_its_end()
    {
        var lane = new BackgroundLane(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var steps = 0;
        var work = lane.RunAsync(
            async () =>
            {
                steps++;
                await gate.Task;
                steps++;
            },
            CancellationToken.None);

        lane.Dispose();
        gate.SetResult();
        await work.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, steps);
    }

    /// <summary>Field 19 of <c>/proc/thread-self/stat</c>, counted after the command name's closing parenthesis.</summary>
    private static int ThreadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task<T> Run<T>(BackgroundLane lane, Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, lane).Unwrap();
}
