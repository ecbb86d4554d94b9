using System.Globalization;
using System.Text;

namespace Berth.Bench;

internal enum Better
{
    Higher,
    Lower,
}

/// <summary>
/// One figure the table shows. <see cref="Target"/> is the bound on the ratio Berth / Distribution of the medians
/// (at least it when higher is better, at most it when lower is better).
/// </summary>
internal sealed record Metric(string Key, string Workload, string Label, string Unit, Better Better, double? Target = null, bool Headline = true, double? Absolute = null)
{
    /// <summary>The bound as the tables print it: on the ratio, or with <see cref="Absolute"/> on the first column's median.</summary>
    public string TargetText(string firstLabel) =>
        Absolute is { } a ? $"{firstLabel} {(Better == Better.Higher ? "≥" : "≤")} {a.ToString("0.##", CultureInfo.InvariantCulture)} {Unit}"
        : Target is { } t ? (Better == Better.Higher ? "≥ " : "≤ ") + t.ToString("0.##", CultureInfo.InvariantCulture) + "×"
        : "";

    /// <summary>Whether the target is met; null when there is no target or no figure to judge it by.</summary>
    public bool? Met(double? first, double? ratio) =>
        Absolute is { } a ? first is { } f ? Better == Better.Higher ? f >= a : f <= a : null
        : Target is { } t && ratio is { } r ? Better == Better.Higher ? r >= t : r <= t : null;
}

/// <summary>One headline figure of a results table, as the summary and the ratio chart use it.</summary>
internal sealed record SummaryRow(Metric Metric, double? First, double? Second, double? Ratio, bool? Met, string Target);

/// <summary>
/// Every sample of every metric for both compared servers, and the Markdown tables made from them. The two columns
/// are Berth and Distribution unless a section compares something else (PostgreSQL vs SQLite, three nodes vs one).
/// </summary>
internal sealed class Results(Registry first = Registry.Berth, string firstLabel = "Berth", Registry second = Registry.Distribution, string secondLabel = "Distribution 2.8.2")
{
    private readonly List<Metric> _metrics = [];
    private readonly Dictionary<(string Key, Registry Registry), List<double>> _samples = [];
    private readonly List<string> _notes = [];

    public void Define(Metric metric)
    {
        if (_metrics.All(m => m.Key != metric.Key))
        {
            _metrics.Add(metric);
        }
    }

    public bool IsDefined(string key) => _metrics.Any(m => m.Key == key);

    public void Add(string key, Registry registry, double value)
    {
        if (!_samples.TryGetValue((key, registry), out var list))
        {
            _samples[(key, registry)] = list = [];
        }

        list.Add(value);
    }

    /// <summary>The median of a metric's samples for one server, or null when it has none.</summary>
    public double? Median(string key, Registry registry) => Stats(key, registry)?.Median;

    public string FirstLabel => firstLabel;

    public string SecondLabel => secondLabel;

    /// <summary>Every headline figure measured, with its ratio and target (for the summary table and the ratio chart).</summary>
    public IEnumerable<SummaryRow> Summary()
    {
        foreach (var m in _metrics.Where(m => m.Headline))
        {
            var a = Stats(m.Key, first)?.Median;
            var b = Stats(m.Key, second)?.Median;
            if (a is null && b is null)
            {
                continue;
            }

            double? ratio = a is { } x && b is { } y && y != 0 ? x / y : null;
            yield return new SummaryRow(m, a, b, ratio, m.Met(a, ratio), m.TargetText(firstLabel));
        }
    }

    public void Note(string note)
    {
        if (!_notes.Contains(note))
        {
            _notes.Add(note);
        }
    }

    public IEnumerable<string> Csv()
    {
        yield return "metric,registry,sample,value";
        foreach (var ((key, registry), values) in _samples.OrderBy(s => s.Key.Key, StringComparer.Ordinal))
        {
            for (var i = 0; i < values.Count; i++)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{key},{registry},{i + 1},{values[i]:0.######}");
            }
        }
    }

    public string Markdown(string title, IEnumerable<string> preamble, string summary)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {title}").AppendLine();
        foreach (var line in preamble)
        {
            md.AppendLine(line);
        }

        md.Append(summary);
        md.AppendLine().AppendLine("## Berth vs Distribution 2.8.2, every figure").AppendLine();
        md.AppendLine("Each cell: median (min–max) over the repetitions. Ratio = Berth median / Distribution median (and, with a baseline build, Berth median / baseline median). ");
        md.AppendLine("Target = the bound on that ratio from issues 5 and 16 (≥ when higher is better, ≤ when lower is better), or on Berth's own figure where it names a unit.").AppendLine();
        Body(md, "###");
        return md.ToString();
    }

    /// <summary>Whether anything was measured (a section that did not run prints nothing).</summary>
    public bool IsEmpty => _samples.Count == 0 && _notes.Count == 0;

    /// <summary>One comparison as a section of a larger file: heading, what it compares, its tables and notes.</summary>
    public void Section(StringBuilder md, string heading, IEnumerable<string> preamble)
    {
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {heading}").AppendLine();
        foreach (var line in preamble)
        {
            md.AppendLine(line);
        }

        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Ratio = {firstLabel} median / {secondLabel} median.").AppendLine();
        Body(md, "###");
    }

    private void Body(StringBuilder md, string level)
    {
        Table(md, _metrics.Where(m => m.Headline));
        var resources = _metrics.Where(m => !m.Headline).ToList();
        if (resources.Count > 0)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{level} Server resources per phase (from /proc: utime+stime, VmHWM reset per phase)").AppendLine();
            Table(md, resources);
        }

        if (_notes.Count > 0)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{level} Notes").AppendLine();
            foreach (var note in _notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }
    }

    private void Table(StringBuilder md, IEnumerable<Metric> metrics)
    {
        // A baseline build measured beside the two gets its own column and the ratio to it (--baseline-dll).
        var baseline = _samples.Keys.Any(k => k.Registry == Registry.BerthBaseline);
        md.AppendLine($"| workload | figure | {firstLabel} | {secondLabel} | ratio | target | met |" + (baseline ? " Berth baseline | Berth / baseline |" : ""));
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |" + (baseline ? " --- | --- |" : ""));
        foreach (var m in metrics)
        {
            var berth = Stats(m.Key, first);
            var dist = Stats(m.Key, second);
            if (berth is null && dist is null)
            {
                continue;
            }

            var before = baseline ? Stats(m.Key, Registry.BerthBaseline) : null;
            double? change = berth is { } now && before is { } then && then.Median != 0 ? now.Median / then.Median : null;
            var beforeCells = baseline ? $" {Cell(before)} | {(change is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–")} |" : "";

            double? ratio = berth is { } b && dist is { } d && d.Median != 0 ? b.Median / d.Median : null;
            var target = m.TargetText(firstLabel);
            var met = m.Met(berth?.Median, ratio) switch { true => "yes", false => "**no**", null => "" };
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Workload} | {m.Label} ({m.Unit}, {(m.Better == Better.Higher ? "higher" : "lower")} is better) | {Cell(berth)} | {Cell(dist)} | {(ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–")} | {target} | {met} |{beforeCells}");
        }
    }

    private (double Median, double Min, double Max, int N)? Stats(string key, Registry registry)
    {
        if (!_samples.TryGetValue((key, registry), out var values) || values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var n = sorted.Count;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        return (median, sorted[0], sorted[^1], n);
    }

    private static string Cell((double Median, double Min, double Max, int N)? stats) =>
        stats is not { } s ? "–"
        : s.N == 1 ? Format(s.Median)
        : $"{Format(s.Median)} ({Format(s.Min)}–{Format(s.Max)})";

    public static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "0" : Math.Abs(value) >= 10 ? "0.0" : Math.Abs(value) >= 1 ? "0.00" : "0.000", CultureInfo.InvariantCulture);
}
