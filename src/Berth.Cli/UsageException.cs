namespace Berth.Cli;

/// <summary>The command line was understood but makes no sense (exit 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
