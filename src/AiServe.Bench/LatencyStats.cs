namespace AiServe.Bench;

/// <summary>Summary of a step's request latencies, in milliseconds.</summary>
internal sealed record LatencyStats(int Count, double MinMs, double MeanMs, double P50Ms, double P90Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static readonly LatencyStats Empty = new(0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Summarises latencies measured in <see cref="System.Diagnostics.Stopwatch"/> ticks at <paramref name="frequency"/> ticks per second.</summary>
    /// <param name="ticks">The latencies; sorted in place.</param>
    /// <param name="frequency">Ticks per second.</param>
    public static LatencyStats FromTicks(long[] ticks, long frequency)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        if (ticks.Length == 0)
        {
            return Empty;
        }

        Array.Sort(ticks);
        var toMs = 1000.0 / frequency;
        double sum = 0;
        foreach (var t in ticks)
        {
            sum += t;
        }

        return new LatencyStats(
            ticks.Length,
            ticks[0] * toMs,
            sum / ticks.Length * toMs,
            Percentile(ticks, 50) * toMs,
            Percentile(ticks, 90) * toMs,
            Percentile(ticks, 95) * toMs,
            Percentile(ticks, 99) * toMs,
            ticks[^1] * toMs);
    }

    /// <summary>
    /// The nearest-rank percentile of sorted values: the smallest value with at least <paramref name="percent"/>%
    /// of the values at or below it (so p50 of 1..100 is 50 and p99 is 99; never an interpolated value).
    /// </summary>
    public static long Percentile(IReadOnlyList<long> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
