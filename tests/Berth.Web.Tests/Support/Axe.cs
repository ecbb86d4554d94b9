using Deque.AxeCore.Commons;
using Microsoft.Playwright;

namespace Berth.Web.Tests.Support;

/// <summary>
/// axe-core (the copy Deque.AxeCore.Commons carries) run on the page itself with <c>axe.run(document)</c>. Deque's
/// <c>RunAxe</c> runs <c>axe.runPartial</c> in every frame and then <c>axe.finishRun</c> in a new blank page of its own,
/// injecting the 600 KB script twice per check: that isolation is for cross-origin frames, which no Berth page has,
/// and the second page cost more than the check (the UI suite runs some 40 of them on two busy cores).
/// </summary>
public static class Axe
{
    private static readonly Lazy<string> Source = new(() =>
    {
        using var stream = typeof(AxeRunOptions).Assembly.GetManifestResourceStream("Deque.AxeCore.Commons.Resources.axe.min.js")
            ?? throw new InvalidOperationException("axe.min.js is not in Deque.AxeCore.Commons");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The page's serious and critical violations, one line each: impact, rule, help and up to three elements.</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await page.EvaluateAsync(Source.Value);
        }

        // Only violations are detailed: passes and inapplicable rules are most of axe's work and output.
        return await page.EvaluateAsync<string[]>(
            """
            async () => {
              const results = await window.axe.run(document, { resultTypes: ['violations'] });
              return results.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.html).join(', ')}`);
            }
            """);
    }
}
