using Spectre.Console;
using Spectre.Console.Rendering;

namespace Berth.Cli.Output;

/// <summary>
/// Rows under headers: a Spectre table when stdout is a terminal, else plain columns padded with spaces (one row per
/// line, no wrapping, no colours), which <c>cut</c>, <c>awk</c> and tests can read.
/// </summary>
internal static class TextTable
{
    /// <param name="rightAligned">Column indexes of numbers.</param>
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IReadOnlyList<string[]> rows, params int[] rightAligned)
    {
        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            var table = new Table().Border(TableBorder.Simple);
            for (var i = 0; i < headers.Count; i++)
            {
                // The first column names things (copied into the next command): never broken across lines.
                var column = new TableColumn(new Text(headers[i], new Style(decoration: Decoration.Bold))) { NoWrap = i == 0 };
                table.AddColumn(rightAligned.Contains(i) ? column.RightAligned() : column);
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
            }

            console.Write(table);
            return;
        }

        WritePlain(output, headers, rows, rightAligned);
    }

    /// <summary>Plain columns even on a terminal: for cells that must stay whole on one line (digests to copy).</summary>
    public static void WritePlain(TextWriter output, IReadOnlyList<string> headers, IReadOnlyList<string[]> rows, params int[] rightAligned)
    {
        var widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend([.. headers]))
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 && !rightAligned.Contains(i) ? cell
                : rightAligned.Contains(i) ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }

    /// <summary>One line: a description or comment folded for a table cell.</summary>
    public static string OneLine(string? text, int max = 80)
    {
        var line = string.Join(' ', (text ?? "").Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
