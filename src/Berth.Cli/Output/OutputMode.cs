namespace Berth.Cli.Output;

/// <summary>How results and progress are shown.</summary>
internal enum OutputMode
{
    /// <summary>Progress bars on a terminal, plain lines otherwise; a summary line at the end.</summary>
    Human,

    /// <summary>Only the essential result (a digest, a tag per line); errors on stderr.</summary>
    Quiet,

    /// <summary>One JSON document on stdout; nothing else there.</summary>
    Json,
}
