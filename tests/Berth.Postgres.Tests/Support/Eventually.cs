using System.Diagnostics;

namespace Berth.Postgres.Tests.Support;

/// <summary>Polls a condition until it holds; fails the test after <see cref="Deadline"/>.</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"{failure} (waited {Deadline.TotalSeconds} s)");
    }
}
