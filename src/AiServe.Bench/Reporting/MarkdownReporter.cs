using System.Globalization;
using System.Text;

namespace AiServe.Bench.Reporting;

/// <summary>Writes the results as a Markdown page: the run's settings, then one table row per step.</summary>
internal static class MarkdownReporter
{
    public static string Render(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        md.AppendLine(ci, $"# aiserve-bench: {report.Model}");
        md.AppendLine();
        md.AppendLine(ci, $"- started: {report.StartedAt:u}");
        md.AppendLine(ci, $"- server: {report.Url}{(report.Server is null ? "" : $" ({report.Server})")}");
        md.AppendLine(ci, $"- model: {report.Model}{(report.Version is null ? "" : $" version {report.Version}")}");
        md.AppendLine(ci, $"- protocol: {report.Protocol}, batch {report.Batch}, input: {report.Input}");
        md.AppendLine(ci, $"- per step: {report.WarmupSeconds} s warm-up, {report.DurationSeconds} s measured, {(report.Steps.Any(s => s.RequestRate is not null) ? "open loop (concurrency column: rate in requests/s)" : "closed loop")}");
        if (report.Cancelled)
        {
            md.AppendLine("- **cancelled** (Ctrl+C): the last step is partial");
        }

        md.AppendLine();
        md.AppendLine("| concurrency | requests | errors | inferences/s | p50 ms | p90 ms | p99 ms | max ms |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var step in report.Steps)
        {
            md.AppendLine("| " + string.Join(" | ", ConsoleReporter.Row(step)) + " |");
        }

        var withErrors = report.Steps.Where(s => s.ErrorCount > 0).ToList();
        if (withErrors.Count > 0)
        {
            md.AppendLine();
            md.AppendLine($"Errors by kind (HTTP status, {string.Join(", ", Runner.ErrorKinds)}):");
            md.AppendLine();
            foreach (var step in withErrors)
            {
                md.AppendLine(ci, $"- {step.Label}: {ConsoleReporter.FormatErrors(step)}");
            }
        }

        return md.ToString();
    }
}
