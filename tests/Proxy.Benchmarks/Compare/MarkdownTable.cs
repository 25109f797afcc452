using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>A markdown table (header, alignment, rows) and the number formats every table of the report shares.</summary>
internal sealed class MarkdownTable
{
    private readonly StringBuilder _text = new();
    private readonly int _columns;

    /// <param name="columns">Column titles; a title starting with '&lt;' is left-aligned (the '&lt;' is dropped), the
    /// rest right-aligned except the first.</param>
    public MarkdownTable(params string[] columns)
    {
        _columns = columns.Length;
        _text.Append("| ").AppendJoin(" | ", columns.Select(c => c.TrimStart('<'))).Append(" |\n|");
        for (var i = 0; i < columns.Length; i++)
        {
            _text.Append(i == 0 || columns[i].StartsWith('<') ? " --- |" : " ---: |");
        }

        _text.Append('\n');
    }

    public void Row(params string[] cells)
    {
        _text.Append("| ").AppendJoin(" | ", cells.Select(Escape));
        for (var i = cells.Length; i < _columns; i++)
        {
            _text.Append(" |");
        }

        _text.Append(" |\n");
    }

    /// <summary>A row for a contender that has no figures: its name and why.</summary>
    public void Failed(string name, string why) => Row(name, "failed: " + why.Split('\n')[0]);

    public override string ToString() => _text.ToString();

    /// <summary>value / best as "0.97×", or "–" when either is missing.</summary>
    public static string Ratio(double value, double best) =>
        double.IsFinite(value) && double.IsFinite(best) && best > 0 ? string.Create(CultureInfo.InvariantCulture, $"{value / best:F2}×") : "–";

    public static string Number(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    public static string Mib(long bytes) =>
        bytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB") : "–";

    /// <summary>Every run's figure, for the report's "Runs" column.</summary>
    public static string Runs(IEnumerable<double> values, string format) =>
        string.Join(", ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

    public static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
