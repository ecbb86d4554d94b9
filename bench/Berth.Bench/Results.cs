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
internal sealed record Metric(string Key, string Workload, string Label, string Unit, Better Better, double? Target = null, bool Headline = true);

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

    public string Markdown(string title, IEnumerable<string> preamble)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {title}").AppendLine();
        foreach (var line in preamble)
        {
            md.AppendLine(line);
        }

        md.AppendLine();
        md.AppendLine("Each cell: median (min–max) over the repetitions. Ratio = Berth median / Distribution median (and, with a baseline build, Berth median / baseline median). ");
        md.AppendLine("Target = the bound on that ratio from issue 5 (≥ when higher is better, ≤ when lower is better).").AppendLine();
        Body(md, "##");
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
            var target = m.Target is { } t ? (m.Better == Better.Higher ? "≥ " : "≤ ") + t.ToString("0.##", CultureInfo.InvariantCulture) + "×" : "";
            var met = m.Target is { } bound && ratio is { } r
                ? (m.Better == Better.Higher ? r >= bound : r <= bound) ? "yes" : "**no**"
                : "";
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

    private static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "0" : Math.Abs(value) >= 10 ? "0.0" : Math.Abs(value) >= 1 ? "0.00" : "0.000", CultureInfo.InvariantCulture);
}
