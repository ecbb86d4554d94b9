using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Berth.Bench;

/// <summary>
/// The summary table at the top of the results file (every headline figure of every section: ratio, target, met) and
/// the charts beside it, drawn by OxyPlot's SVG exporter: Berth's advantage over Distribution per workload, and one
/// chart per scaling curve.
/// </summary>
internal sealed partial class Bench
{
    /// <summary>
    /// The exporter measures text with Helvetica's metrics; naming a metric-compatible font keeps a browser from
    /// drawing wider text than the layout left room for (its default, Segoe UI, falls back to wider fonts).
    /// </summary>
    private const string ChartFont = "Arial";

    private IEnumerable<(string Section, Results Results)> AllResults() =>
        new[] { ("Berth vs Distribution", _results) }.Concat(_sections.Select(s => (s.Id, s.Results)));

    /// <summary>The summary: one row per headline figure measured, with the charts' links under it.</summary>
    private string Summary(IReadOnlyList<(string Title, string File)> charts, string loadAtStart)
    {
        var md = new StringBuilder();
        md.AppendLine().AppendLine("## Summary").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Every headline figure of this run, its ratio (first column / second, medians) and the target. Load average at the start {loadAtStart}, at the end {LoadAverage()} (each section notes its own).").AppendLine();
        md.AppendLine("| section | workload | figure | first | second | ratio | target | met |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        int met = 0, missed = 0;
        foreach (var (section, results) in AllResults())
        {
            foreach (var row in results.Summary())
            {
                var cell = (double? v, string label) => v is { } x ? $"{label}: {Results.Format(x)}" : "–";
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {section} | {row.Metric.Workload} | {row.Metric.Label} ({row.Metric.Unit}) | {cell(row.First, results.FirstLabel)} | {cell(row.Second, results.SecondLabel)} | {(row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–")} | {row.Target} | {row.Met switch { true => "yes", false => "**no**", null => "" }} |");
                met += row.Met == true ? 1 : 0;
                missed += row.Met == false ? 1 : 0;
            }
        }

        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Targets met: {met}; not met: {missed}.");
        if (charts.Count > 0)
        {
            md.AppendLine().AppendLine("Charts (SVG, drawn by OxyPlot from this run's medians):").AppendLine();
            foreach (var (title, file) in charts)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- [{title}]({file})");
            }

            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"![{charts[0].Title}]({charts[0].File})");
        }

        return md.ToString();
    }

    /// <summary>Writes the charts next to the results file (<paramref name="name"/>-*.svg); returns their titles and file names.</summary>
    private List<(string Title, string File)> WriteCharts(string name)
    {
        var written = new List<(string, string)>();
        void Write(PlotModel model, string suffix, int height)
        {
            var file = $"{name}-{suffix}.svg";
            using (var stream = File.Create(Path.Combine(o.OutDir, file)))
            {
                new SvgExporter { Width = 1100, Height = height }.Export(model, stream);
            }

            written.Add((model.Title, file));
        }

        var ratios = RatioChart();
        if (ratios is not null)
        {
            Write(ratios.Value.Model, "ratios", ratios.Value.Height);
        }

        foreach (var curve in _curves)
        {
            if (CurveChart(curve) is { } model)
            {
                Write(model, curve.Id, 520);
            }
        }

        return written;
    }

    /// <summary>
    /// Every Berth / Distribution figure as Berth's advantage (the ratio where higher is better, its inverse where lower
    /// is better, so right of 1 is always Berth ahead), log scale, the target as a diamond.
    /// </summary>
    private (PlotModel Model, int Height)? RatioChart()
    {
        var rows = AllResults()
            .Where(r => r.Results.SecondLabel.StartsWith("Distribution", StringComparison.Ordinal) && r.Section != "scale")
            .SelectMany(r => r.Results.Summary().Select(row => (r.Section, Row: row)))
            .Where(r => r.Row.Ratio is > 0)
            .ToList();
        if (rows.Count == 0)
        {
            return null;
        }

        static double Advantage(Better better, double ratio) => better == Better.Higher ? ratio : 1 / ratio;
        // The workload names need a wide left margin: OxyPlot's own estimate of it cuts them off in SVG.
        var model = new PlotModel
        {
            Title = "Berth vs Distribution 2.8.2 per workload (×, right of 1 = Berth ahead)",
            Background = OxyColors.White,
            DefaultFont = ChartFont,
            TitleFontSize = 14,
            PlotMargins = new OxyThickness(520, double.NaN, 30, double.NaN),
        };
        var categories = new CategoryAxis { Position = AxisPosition.Left, Key = "workload", StartPosition = 1, EndPosition = 0, FontSize = 10, GapWidth = 0.3 };
        var values = rows.Select(r => Advantage(r.Row.Metric.Better, r.Row.Ratio!.Value)).ToList();
        var targets = rows.Select(r => r.Row.Metric.Target is { } t ? Advantage(r.Row.Metric.Better, t) : (double?)null).ToList();
        var all = values.Concat(targets.OfType<double>()).Append(1.0).ToList();
        model.Axes.Add(categories);
        model.Axes.Add(new LogarithmicAxis
        {
            Position = AxisPosition.Bottom,
            Key = "advantage",
            Minimum = all.Min() / 1.5,
            Maximum = all.Max() * 1.5,
            Title = "Berth's advantage (ratio where higher is better, 1 / ratio where lower is better), log scale",
            MajorGridlineStyle = LineStyle.Dot,
            FontSize = 10,
        });
        var bars = new BarSeries { XAxisKey = "advantage", YAxisKey = "workload", BaseValue = 1, LabelFormatString = "{0:0.00}×", FontSize = 9 };
        for (var i = 0; i < rows.Count; i++)
        {
            var (section, row) = rows[i];
            var label = $"{(section == "Berth vs Distribution" ? "" : section + ": ")}{row.Metric.Workload}: {row.Metric.Label}";
            categories.Labels.Add(label.Length > 100 ? label[..97] + "…" : label);
            bars.Items.Add(new BarItem(values[i])
            {
                Color = row.Met switch { true => OxyColor.FromRgb(0x2e, 0x8b, 0x57), false => OxyColor.FromRgb(0xc0, 0x39, 0x2b), null => OxyColor.FromRgb(0x7f, 0x8c, 0x9d) },
            });
        }

        model.Series.Add(bars);
        var marks = new ScatterSeries { XAxisKey = "advantage", YAxisKey = "workload", MarkerType = MarkerType.Diamond, MarkerSize = 5, MarkerFill = OxyColors.Black, Title = "target" };
        for (var i = 0; i < rows.Count; i++)
        {
            if (targets[i] is { } t)
            {
                marks.Points.Add(new ScatterPoint(t, i));
            }
        }

        model.Series.Add(marks);
        model.Annotations.Add(new LineAnnotation { Type = LineAnnotationType.Vertical, X = 1, Color = OxyColors.Black, StrokeThickness = 1.5, XAxisKey = "advantage", YAxisKey = "workload" });
        model.Subtitle = "green: target met, red: not met, grey: no target; ◆ the target";
        return (model, 120 + (rows.Count * 22));
    }

    /// <summary>A scaling curve: Berth's and Distribution's medians against size, log–log.</summary>
    private PlotModel? CurveChart(Curve curve)
    {
        if (_scaleResults is not { } results)
        {
            return null;
        }

        var model = new PlotModel { Title = curve.Title, Background = OxyColors.White, TitleFontSize = 14, DefaultFont = ChartFont };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomCenter, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = curve.XLabel, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = curve.YLabel, MajorGridlineStyle = LineStyle.Dot, AxisTitleDistance = 16 });
        var any = false;
        foreach (var (registry, label, color) in new[] { (Registry.Berth, "Berth", OxyColor.FromRgb(0x1f, 0x77, 0xb4)), (Registry.Distribution, "Distribution 2.8.2", OxyColor.FromRgb(0xff, 0x7f, 0x0e)) })
        {
            var line = new LineSeries { Title = label, Color = color, MarkerType = MarkerType.Circle, MarkerSize = 4, MarkerFill = color, LabelFormatString = "{1:0.##}", FontSize = 9 };
            foreach (var point in curve.Points.DistinctBy(p => p.X).OrderBy(p => p.X))
            {
                if (results.Median(point.Key, registry) is { } y && y > 0)
                {
                    line.Points.Add(new DataPoint(point.X, y));
                }
            }

            any |= line.Points.Count > 0;
            model.Series.Add(line);
        }

        return any ? model : null;
    }
}
