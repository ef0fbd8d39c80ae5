namespace AiServe.Bench.Reporting;

/// <summary>Everything a run produced: what was run against what, and one result per concurrency step.</summary>
internal sealed record BenchReport(
    DateTimeOffset StartedAt,
    string Url,
    string Model,
    string? Version,
    string Protocol,
    int Batch,
    double DurationSeconds,
    double WarmupSeconds,
    string Input,
    string? Server,
    IReadOnlyList<StepResult> Steps)
{
    public bool Cancelled => Steps.Any(s => s.Cancelled);
}
