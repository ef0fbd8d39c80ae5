using AiServe.Bench;

namespace AiServe.Client.Tests.Bench;

public sealed class LatencyStatsTests
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(90, 90)]
    [InlineData(99, 99)]
    [InlineData(99.5, 100)]
    [InlineData(100, 100)]
    [InlineData(0, 1)]
    [InlineData(0.5, 1)]
    public void Percentile_OneToHundred_NearestRank(double percent, long expected)
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (long)i).ToArray();

        Assert.Equal(expected, LatencyStats.Percentile(sorted, percent));
    }

    [Fact]
    public void Percentile_TenValues_NeverInterpolates()
    {
        long[] sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000];

        Assert.Equal(50, LatencyStats.Percentile(sorted, 50));
        Assert.Equal(90, LatencyStats.Percentile(sorted, 90));
        Assert.Equal(1000, LatencyStats.Percentile(sorted, 91));
        Assert.Equal(1000, LatencyStats.Percentile(sorted, 99));
    }

    [Fact]
    public void Percentile_Empty_Throws()
    {
        Assert.Throws<ArgumentException>(() => LatencyStats.Percentile([], 50));
    }

    [Fact]
    public void FromTicks_UnsortedMilliTicks_SortsAndConverts()
    {
        // 1000 ticks per second: one tick is one millisecond.
        var ticks = Enumerable.Range(1, 100).Select(i => (long)i).Reverse().ToArray();

        var stats = LatencyStats.FromTicks(ticks, frequency: 1000);

        Assert.Equal(100, stats.Count);
        Assert.Equal((1.0, 100.0, 50.5), (stats.MinMs, stats.MaxMs, stats.MeanMs));
        Assert.Equal((50.0, 90.0, 95.0, 99.0), (stats.P50Ms, stats.P90Ms, stats.P95Ms, stats.P99Ms));
    }

    [Fact]
    public void FromTicks_Empty_IsEmpty()
    {
        Assert.Same(LatencyStats.Empty, LatencyStats.FromTicks([], 1000));
    }

    [Fact]
    public void StepResult_Throughput_IsRequestsPerSecondTimesBatch()
    {
        var step = new StepResult(4, 8, 2.0, 100, new Dictionary<string, long> { ["503"] = 3 }, LatencyStats.Empty, false);

        Assert.Equal((50.0, 400.0, 3L), (step.RequestsPerSecond, step.InferencesPerSecond, step.ErrorCount));
    }

    [Fact]
    public void FormatErrors_GivesLatencyPerKind_WhenMeasured()
    {
        var step = new StepResult(4, 1, 2.0, 100, new Dictionary<string, long> { ["429"] = 3 }, LatencyStats.Empty, false)
        {
            ErrorLatency = new Dictionary<string, LatencyStats> { ["429"] = LatencyStats.FromTicks([1000, 2000, 3000], 1_000_000) },
        };

        Assert.Equal("3 x 429 (p50 2.000 ms, p99 3.000 ms)", AiServe.Bench.Reporting.ConsoleReporter.FormatErrors(step));
    }
}
