using System.Globalization;
using System.Text.RegularExpressions;

namespace Proxy.Tests.Admin;

/// <summary>A strict reader of the Prometheus text format (0.0.4) as far as the proxy uses it: every sample line is
/// <c>name{labels} value</c>, every family has exactly one <c># TYPE</c> line (counter or gauge) before its samples,
/// a family's samples are contiguous, counters end in <c>_total</c>, no series appears twice.</summary>
internal static partial class PrometheusParser
{
    /// <summary>Parses <paramref name="text"/>, failing the test on the first violation; returns every sample keyed by
    /// <c>name</c> or <c>name{labels}</c> exactly as written.</summary>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text[..^1].Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1}: '{line}'";
            Assert.False(string.IsNullOrWhiteSpace(line), $"Empty {where}");
            if (line.StartsWith('#'))
            {
                if (TypeLine().Match(line) is { Success: true } type)
                {
                    var name = type.Groups["name"].Value;
                    var kind = type.Groups["type"].Value;
                    Assert.True(types.TryAdd(name, kind), $"Second # TYPE for {name} at {where}");
                    Assert.False(finished.Contains(name) || samples.Keys.Any(k => FamilyOf(k) == name), $"# TYPE after samples of {name} at {where}");
                    Assert.True(kind is "counter" or "gauge", $"Type '{kind}' is not counter or gauge at {where}");
                    if (kind == "counter")
                    {
                        Assert.EndsWith("_total", name, StringComparison.Ordinal);
                    }

                    if (current is not null)
                    {
                        finished.Add(current);
                    }

                    current = name;
                }
                else if (HelpLine().Match(line) is { Success: true } help)
                {
                    Assert.True(helps.Add(help.Groups["name"].Value), $"Second # HELP at {where}");
                }
                else
                {
                    Assert.Fail($"Malformed # HELP or # TYPE {where}");
                }

                continue;
            }

            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"Not 'name{{labels}} value' at {where}");
            var family = sample.Groups["name"].Value;
            Assert.True(types.ContainsKey(family), $"Sample of {family} without a # TYPE line before it at {where}");
            Assert.False(finished.Contains(family), $"Samples of {family} are not contiguous at {where}");
            Assert.Equal(current, family);
            var value = sample.Groups["value"].Value;
            Assert.True(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number), $"Bad value at {where}");
            if (types[family] == "counter")
            {
                Assert.True(number >= 0, $"Negative counter at {where}");
            }

            var key = family + sample.Groups["labels"].Value;
            Assert.True(samples.TryAdd(key, number), $"Series {key} appears twice at {where}");
        }

        return samples;
    }

    private static string FamilyOf(string key) => key.Split('{')[0];

    [GeneratedRegex("^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>[a-z]+)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex("^# HELP (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) \\S.*$")]
    private static partial Regex HelpLine();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (?<value>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)$""")]
    private static partial Regex SampleLine();
}
