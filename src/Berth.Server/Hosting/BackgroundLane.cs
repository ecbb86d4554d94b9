using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Server.Hosting;

/// <summary>
/// Threads for the work no client waits for (webhook deliveries, the outbox's fan-out), at a lower scheduling priority
/// than the threads that serve requests: on a busy machine the kernel runs requests first and this work in what is
/// left, so it never takes CPU from a push; on an idle or spare core it runs at full speed (a priority, not a
/// throttle). Work started with <see cref="RunAsync"/> stays on these threads across its awaits (they resume on the
/// current <see cref="TaskScheduler"/>), except the insides of libraries that leave it (a socket's completion).
/// On Linux the priority is the thread's nice value (<c>setpriority</c> on the thread id, which raising needs no
/// privilege for); elsewhere the threads run at normal priority.
/// </summary>
internal sealed class BackgroundLane : TaskScheduler, IDisposable
{
    /// <summary>
    /// Nice 10: weight 110 against a request thread's 1024 (CFS), so under full load this work gets a few percent of the
    /// CPU, never nothing; a push loses about that much instead of the whole cost of its webhooks.
    /// </summary>
    public const int Nice = 10;

    private readonly BlockingCollection<Task> _queue = new();
    private readonly Thread[] _threads;

    [ThreadStatic]
    private static BackgroundLane? _current;

    public BackgroundLane(int threads)
    {
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"berth-background-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Whether the lane's threads got the lower priority (false on other systems, or if the kernel refused).</summary>
    public bool Lowered { get; private set; }

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>
    /// Runs <paramref name="work"/> on the lane, its continuations too; the caller's own continuation does not (it would
    /// run on the lane thread that finished the work).
    /// </summary>
    public async Task RunAsync(Func<Task> work, CancellationToken cancellationToken) =>
        await Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, this).Unwrap()
            .ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    public void Dispose()
    {
        _queue.CompleteAdding();
    }

    protected override void QueueTask(Task task)
    {
        if (!_queue.TryAdd(task))
        {
            // Stopping: the work still ends (it sees its cancellation) on the thread pool.
            ThreadPool.UnsafeQueueUserWorkItem(t => TryExecuteTask(t), task, preferLocal: false);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        _current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Loop()
    {
        _current = this;
        if (OperatingSystem.IsLinux())
        {
            Lowered = NativeMethods.setpriority(NativeMethods.PrioProcess, NativeMethods.gettid(), Nice) == 0;
        }

        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    private static class NativeMethods
    {
        public const int PrioProcess = 0;

#pragma warning disable SA1300, IDE1006 // the C functions' own names
        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int setpriority(int which, int who, int prio);

        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int gettid();
#pragma warning restore SA1300, IDE1006
    }
}

internal static class BackgroundLaneServices
{
    /// <summary>One lane per host, as many threads as cores (at most 4), ended with the host.</summary>
    public static IServiceCollection AddBackgroundLane(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new BackgroundLane(Math.Clamp(Environment.ProcessorCount, 1, 4)));
        return services;
    }
}
