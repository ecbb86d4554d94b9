using System.CommandLine;
using Berth.Cli;
using Berth.Client.Registry;

var globals = new GlobalOptions();
var root = CommandTree.Build(globals);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl-C cancels cleanly (partial downloads stay for resuming); a second one kills.
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        cancel.Cancel();
    }
};

try
{
    var parse = root.Parse(args);
    var code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
    // A command line that does not parse (missing argument, unknown option or value) is a usage error, as documented.
    return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
}
catch (Exception e)
{
    var code = ExitCodes.For(e);
    var message = e switch
    {
        OperationCanceledException => "interrupted",
        RegistryException or UsageException => e.Message,
        _ => e.Message,
    };
    Console.Error.WriteLine($"berth: {message}");
    if (Environment.GetEnvironmentVariable("BERTH_DEBUG") is "1")
    {
        Console.Error.WriteLine(e);
    }

    return code;
}
