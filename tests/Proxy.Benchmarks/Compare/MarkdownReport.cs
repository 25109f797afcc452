using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>Writes results/latest.md: the machine, a summary of the bar (this proxy against the peer each line
/// names, in the same run on the same machine), then each measure's own tables.</summary>
internal static class MarkdownReport
{
    public static string Render(MachineInfo machine, CompareOptions options, DateTimeOffset started, TimeSpan elapsed, IReadOnlyList<MeasureReport> measures)
    {
        var md = new StringBuilder();
        Line(md, "# Side-by-side benchmark");
        Line(md, "");
        Line(md, $"Run {started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:F1} min, `{options.CommandLine}`: "
            + $"each contender warmed until steady (at least {options.WarmUp.TotalSeconds:F0} s in {options.WarmUpSlice.TotalSeconds:F0} s slices, "
            + $"at most {options.MaxWarmUp.TotalSeconds:F0} s), then {options.Runs} run(s) of {options.Duration.TotalSeconds:F0} s per case, medians. "
            + (options.Quick ? "**Quick mode: one short run, a smoke test of the harness, not a measurement to quote.**" : ""));
        Line(md, "");
        Line(md, "## Machine");
        Line(md, "");
        Line(md, $"- CPU: {machine.CpuModel}, {machine.Cores} cores (nproc); memory {machine.MemoryTotal}");
        Line(md, $"- Kernel: {machine.Kernel}");
        Line(md, $"- .NET: {machine.DotNet}");
        foreach (var tool in machine.Tools)
        {
            Line(md, $"- {tool}");
        }

        Line(md, $"- Pinning: every contender on core {Pinned.ProxyCore} (`taskset -c {Pinned.ProxyCore}`), every load generator, "
            + $"backend and holding server on core {Pinned.LoadCore}. CPU share is the contender's CPU time / wall time over each run "
            + "(1.00 = the whole proxy core).");
        Line(md, "");

        var bars = measures.SelectMany(m => m.Bars).ToList();
        if (bars.Count > 0)
        {
            Line(md, "## The bar");
            Line(md, "");
            Line(md, "Each line of the issue's bar, this proxy's median against the peer's in this run; the ratio is oriented so that ≥ 1.00 meets it.");
            Line(md, "");
            var table = new MarkdownTable("Bar", "This proxy", "Held against", "Ratio", "<Met");
            foreach (var bar in bars)
            {
                table.Row(bar.Bar, bar.Ours, bar.Peer, MarkdownTable.Number(bar.Ratio, "F2"), bar.Met ? "yes" : "**no**");
            }

            md.Append(table).Append('\n');
        }

        foreach (var measure in measures)
        {
            md.Append(measure.Markdown);
        }

        return md.ToString();
    }

    private static void Line(StringBuilder md, FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
