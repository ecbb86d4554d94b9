using Berth.Bench;

Options options;
try
{
    options = Options.Parse(args);
}
catch (HelpRequested)
{
    Console.WriteLine(Options.Usage);
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"Berth.Bench: {e.Message}\n\n{Options.Usage}");
    return 2;
}

// A hard bound on the whole run, beyond the soft budget that stops new repetitions (a smoke run starts some ten
// servers, which takes minutes on a loaded machine).
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(options.MaxMinutes + (options.Smoke ? 6 : 30)));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    var bench = new Bench(options);
    await bench.RunAsync(cancel.Token);
    if (bench.Failures > 0)
    {
        Console.Error.WriteLine($"Berth.Bench: {bench.Failures} measurement(s) failed; see the notes under the table");
        return 3;
    }

    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Berth.Bench: stopped (time limit or Ctrl+C)");
    return 1;
}
