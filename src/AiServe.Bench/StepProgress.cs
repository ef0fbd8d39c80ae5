namespace AiServe.Bench;

/// <summary>Live counters of the running step, written by the workers and read by the progress line.</summary>
internal sealed class StepProgress(int concurrency, long startTimestamp, long measureTimestamp, long endTimestamp)
{
    private long _completed;
    private long _failed;

    public int Concurrency { get; } = concurrency;

    /// <summary>The open-loop rate (requests/s), or null for closed loop.</summary>
    public int? Rate { get; init; }

    public long StartTimestamp { get; } = startTimestamp;

    public long MeasureTimestamp { get; } = measureTimestamp;

    public long EndTimestamp { get; } = endTimestamp;

    public long Completed => Interlocked.Read(ref _completed);

    public long Failed => Interlocked.Read(ref _failed);

    public void Record(bool success)
    {
        Interlocked.Increment(ref _completed);
        if (!success)
        {
            Interlocked.Increment(ref _failed);
        }
    }
}
