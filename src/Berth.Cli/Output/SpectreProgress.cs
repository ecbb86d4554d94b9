using System.Collections.Concurrent;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;
using Spectre.Console;

namespace Berth.Cli.Output;

/// <summary>
/// Progress bars with rates on a terminal (stderr): a total, and one bar per blob in flight (finished ones make room,
/// so a hundred layers never scroll the screen).
/// </summary>
internal sealed class SpectreProgress : ITransferProgress
{
    private readonly ConcurrentDictionary<Digest, ProgressTask> _tasks = new();
    private readonly ProgressContext _context;
    private readonly IAnsiConsole _console;
    private readonly string _verb;
    private readonly ProgressTask _total;
    private readonly HashSet<Digest> _planned = [];
    private long _expected;
    private int _transferred, _reused;

    private SpectreProgress(ProgressContext context, IAnsiConsole console, string verb)
    {
        _context = context;
        _console = console;
        _verb = verb;
        // A task at 0 of 0 counts as finished (and would be hidden); the real total grows as blobs start.
        _total = context.AddTask("total", autoStart: true, maxValue: 1);
    }

    public static async Task<T> RunAsync<T>(string verb, Func<ITransferProgress, Task<T>> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn())
            .StartAsync(context => work(new SpectreProgress(context, console, verb)));
    }

    public void BlobsPlanned(IReadOnlyCollection<Descriptor> blobs)
    {
        lock (_total)
        {
            foreach (var blob in blobs)
            {
                if (_planned.Add(blob.Digest))
                {
                    _expected += blob.Size;
                }
            }

            _total.MaxValue = Math.Max(1, _expected);
        }
    }

    public void BlobStarted(Descriptor blob, long alreadyDone)
    {
        var task = Task(blob);
        var previous = task.Value;
        task.Value = alreadyDone;
        lock (_total)
        {
            _total.Increment(alreadyDone - previous);
        }
    }

    public void BlobAdvanced(Descriptor blob, long bytes)
    {
        Task(blob).Increment(bytes);
        lock (_total)
        {
            _total.Increment(bytes);
        }
    }

    public void BlobFinished(Descriptor blob, BlobOutcome outcome)
    {
        var task = Task(blob);
        var left = task.MaxValue - task.Value;
        task.Value = task.MaxValue;
        task.StopTask();
        lock (_total)
        {
            // Reused blobs count as done: the total reaches 100 % when the image is complete.
            _total.Increment(Math.Max(0, left));
            if (outcome == BlobOutcome.Transferred)
            {
                _transferred++;
            }
            else
            {
                _reused++;
            }

            _total.Description = _reused == 0 ? $"{Sizes.Count(_transferred, "blob")} {_verb}" : $"{Sizes.Count(_transferred, "blob")} {_verb}, {_reused} reused";
        }
    }

    public void Note(string message) => _console.MarkupLine($"[grey]{Markup.Escape(message)}[/]");

    public void ManifestWritten(ManifestBlob manifest, string? tag)
    {
        lock (_total)
        {
            _total.Value = _total.MaxValue;
            _total.StopTask();
        }
    }

    private ProgressTask Task(Descriptor blob) =>
        _tasks.GetOrAdd(blob.Digest, _ =>
        {
            lock (_tasks)
            {
                return _context.AddTask(PlainProgress.Short(blob.Digest), autoStart: true, maxValue: Math.Max(1, blob.Size));
            }
        });
}
