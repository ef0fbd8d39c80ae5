using System.Diagnostics;
using System.Globalization;

namespace AiServe.Bench.Reporting;

/// <summary>Writes the live one-line progress and the final table to the console.</summary>
internal static class ConsoleReporter
{
    private static readonly string[] Headers = ["concurrency", "requests", "errors", "infer/s", "p50 ms", "p90 ms", "p99 ms", "max ms"];

    /// <summary>Rewrites one progress line (only on an interactive console).</summary>
    public static void WriteProgress(TextWriter output, StepProgress progress)
    {
        var now = Stopwatch.GetTimestamp();
        var warming = now < progress.MeasureTimestamp;
        var elapsed = (now - (warming ? progress.StartTimestamp : progress.MeasureTimestamp)) / (double)Stopwatch.Frequency;
        var total = ((warming ? progress.MeasureTimestamp : progress.EndTimestamp) - (warming ? progress.StartTimestamp : progress.MeasureTimestamp)) / (double)Stopwatch.Frequency;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  {(progress.Rate is { } rate ? $"rate {rate}/s" : $"concurrency {progress.Concurrency,4}")}  {(warming ? "warm-up  " : "measuring")} {Math.Min(elapsed, total),6:F1}/{total:F1}s  {progress.Completed,9} done  {progress.Failed,6} failed");
        output.Write("\r" + line.PadRight(Console.IsOutputRedirected ? 0 : Math.Max(Console.WindowWidth - 1, line.Length)));
    }

    public static void ClearProgress(TextWriter output)
    {
        output.Write("\r" + new string(' ', Console.IsOutputRedirected ? 0 : Math.Max(Console.WindowWidth - 1, 0)) + "\r");
    }

    /// <summary>A one-line summary of a finished step.</summary>
    public static string StepLine(StepResult step) => string.Create(CultureInfo.InvariantCulture,
        $"  {(step.RequestRate is null ? $"concurrency {step.Concurrency,4}" : step.Label)}: {step.InferencesPerSecond,10:F1} infer/s  p50 {step.Latency.P50Ms:F3} ms  p90 {step.Latency.P90Ms:F3} ms  p99 {step.Latency.P99Ms:F3} ms  {step.Requests} ok  {FormatErrors(step)}{(step.Cancelled ? "  (cancelled)" : "")}");

    /// <summary>The results as an aligned text table.</summary>
    public static string Table(BenchReport report)
    {
        var rows = report.Steps.Select(Row).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var lines = new List<string>
        {
            string.Join("  ", Headers.Select((h, i) => h.PadLeft(widths[i]))),
            string.Join("  ", widths.Select(w => new string('-', w))),
        };
        lines.AddRange(rows.Select(r => string.Join("  ", r.Select((c, i) => c.PadLeft(widths[i])))));
        var errors = report.Steps.Where(s => s.ErrorCount > 0).Select(s => $"  {s.Label}: {FormatErrors(s)}").ToList();
        if (errors.Count > 0)
        {
            lines.Add("errors by kind:");
            lines.AddRange(errors);
        }

        return string.Join(Environment.NewLine, lines);
    }

    public static string FormatErrors(StepResult step) =>
        step.ErrorCount == 0 ? "0 errors" : string.Join(", ", step.Errors.Select(e => $"{e.Value} x {e.Key}{FormatErrorLatency(step, e.Key)}"));

    // A request that was not sent (open loop, outstanding limit) has no latency to report.
    private static string FormatErrorLatency(StepResult step, string kind) =>
        step.ErrorLatency.TryGetValue(kind, out var latency) && latency.Count > 0
            ? string.Create(CultureInfo.InvariantCulture, $" (p50 {latency.P50Ms:F3} ms, p99 {latency.P99Ms:F3} ms)")
            : "";

    internal static string[] Row(StepResult s) =>
    [
        s.RequestRate is { } rate ? rate.ToString(CultureInfo.InvariantCulture) + "/s" : s.Concurrency.ToString(CultureInfo.InvariantCulture),
        s.Requests.ToString(CultureInfo.InvariantCulture),
        s.ErrorCount.ToString(CultureInfo.InvariantCulture),
        s.InferencesPerSecond.ToString("F1", CultureInfo.InvariantCulture),
        s.Latency.P50Ms.ToString("F3", CultureInfo.InvariantCulture),
        s.Latency.P90Ms.ToString("F3", CultureInfo.InvariantCulture),
        s.Latency.P99Ms.ToString("F3", CultureInfo.InvariantCulture),
        s.Latency.MaxMs.ToString("F3", CultureInfo.InvariantCulture),
    ];
}
