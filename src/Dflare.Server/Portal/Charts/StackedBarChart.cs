using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace Dflare.Server.Portal.Charts;

/// <summary>One bar's share: a series (a project) and its value.</summary>
public sealed record BarSegment(string Series, decimal Value);

/// <summary>One bar: its label (a day) and its segments, stacked.</summary>
public sealed record Bar(string Label, IReadOnlyList<BarSegment> Segments);

/// <summary>
/// A stacked bar chart drawn on the server as inline SVG: no script, no library, readable by screen readers (a
/// title and description name what it shows, and the page puts the same numbers in a table beside it), and it scales
/// with the page. Series get colours from a palette that stays distinguishable for the common colour blindnesses.
/// </summary>
public static class StackedBarChart
{
    private static readonly string[] Palette = ["#0b5cad", "#e8a317", "#2a9d8f", "#b42318", "#6a4c93", "#5c6b73", "#d1495b", "#00798c"];
    private const int Width = 720;
    private const int Height = 260;
    private const int Left = 56;
    private const int Bottom = 40;
    private const int Top = 28;

    public static string ColourOf(IReadOnlyList<string> series, string name) => Palette[Math.Max(0, series.ToList().IndexOf(name)) % Palette.Length];

    public static IHtmlContent Render(string title, string unit, IReadOnlyList<Bar> bars, IReadOnlyList<string> series)
    {
        var max = bars.Count == 0 ? 0 : bars.Max(b => b.Segments.Sum(s => s.Value));
        var scale = max == 0 ? 1 : NiceCeiling(max);
        var plotHeight = Height - Top - Bottom;
        var slot = bars.Count == 0 ? 0 : (Width - Left - 8) / (double)bars.Count;
        var svg = new StringBuilder();
        Func<string, string> e = WebUtility.HtmlEncode;
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" preserveAspectRatio=\"xMinYMin meet\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"chart-title\">{e(title)}</title><desc id=\"chart-desc\">{e(Describe(unit, bars, series))}</desc>");
        for (var tick = 0; tick <= 4; tick++)
        {
            var value = scale * tick / 4;
            var y = Top + plotHeight - (double)(value / scale) * plotHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - 4}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" class=\"axis\">{value.ToString("0.######", CultureInfo.InvariantCulture)}</text>");
        }
        for (var i = 0; i < bars.Count; i++)
        {
            var x = Left + i * slot + slot * 0.15;
            var width = Math.Max(1, slot * 0.7);
            var baseline = (double)(Top + plotHeight);
            foreach (var segment in bars[i].Segments.Where(s => s.Value > 0))
            {
                var h = (double)(segment.Value / scale) * plotHeight;
                baseline -= h;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"{baseline:0.#}\" width=\"{width:0.#}\" height=\"{h:0.##}\" fill=\"{ColourOf(series, segment.Series)}\"><title>{e(bars[i].Label)}: {e(segment.Series)} {segment.Value.ToString("0.###", CultureInfo.InvariantCulture)} {e(unit)}</title></rect>");
            }
            if (bars.Count <= 16 || i % (bars.Count / 8 + 1) == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + width / 2:0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" class=\"axis\">{e(bars[i].Label)}</text>");
            }
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"14\" class=\"axis unit\">{e(unit)}</text>");
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static string Describe(string unit, IReadOnlyList<Bar> bars, IReadOnlyList<string> series) =>
        bars.Count == 0 ? "No usage in this period." :
        $"{unit} per day from {bars[0].Label} to {bars[^1].Label}, stacked by {string.Join(", ", series)}; the table below lists every value.";

    /// <summary>1, 2 or 5 times a power of ten at or above the value, so the axis reads in round numbers.</summary>
    private static decimal NiceCeiling(decimal value)
    {
        var power = (decimal)Math.Pow(10, Math.Floor(Math.Log10((double)value)));
        foreach (var step in new[] { 1m, 2m, 5m, 10m })
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }
        return 10 * power;
    }
}
