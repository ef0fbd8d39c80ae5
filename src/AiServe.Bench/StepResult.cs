namespace AiServe.Bench;

/// <summary>What one concurrency step measured.</summary>
/// <param name="Concurrency">Closed-loop workers.</param>
/// <param name="Batch">Inferences per request.</param>
/// <param name="Seconds">The measured window: from the end of warm-up to the last counted completion.</param>
/// <param name="Requests">Successful requests that started inside the window.</param>
/// <param name="Errors">Failed requests that started inside the window, by HTTP status or kind (<see cref="Runner.ErrorKinds"/>).</param>
/// <param name="Latency">Latencies of the successful requests.</param>
/// <param name="Cancelled">Ctrl+C stopped the step early.</param>
internal sealed record StepResult(int Concurrency, int Batch, double Seconds, long Requests, IReadOnlyDictionary<string, long> Errors, LatencyStats Latency, bool Cancelled)
{
    /// <summary>Latencies of the failed requests by kind (the keys of <see cref="Errors"/> but not-sent and unfinished, which got no answer); empty when not measured.</summary>
    public IReadOnlyDictionary<string, LatencyStats> ErrorLatency { get; init; } = new Dictionary<string, LatencyStats>();

    /// <summary>The open-loop rate in requests/s (then <see cref="Concurrency"/> is the outstanding limit); null for closed loop.</summary>
    public int? RequestRate { get; init; }

    /// <summary>"concurrency N" or "rate N/s".</summary>
    public string Label => RequestRate is { } rate ? $"rate {rate}/s" : $"concurrency {Concurrency}";

    public long ErrorCount => Errors.Values.Sum();

    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;

    public double InferencesPerSecond => RequestsPerSecond * Batch;
}
