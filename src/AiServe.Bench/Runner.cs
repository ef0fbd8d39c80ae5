using System.Diagnostics;
using System.Net;
using AiServe.Client;

namespace AiServe.Bench;

/// <summary>
/// Runs one concurrency step: N workers, each sending the same pre-encoded request back to back (closed loop) from
/// the start of warm-up until the end of the measured window. A request counts when it starts inside the window;
/// the last ones may finish after it, so the window runs to the last counted completion. Workers own their own
/// recorders; nothing is shared on the hot path except the progress counters.
/// </summary>
internal sealed class Runner(V2Client client, BenchOptions options, EncodedInferRequest request, int batch)
{
    /// <summary>The progress of the step that is running, for the live line; null between steps.</summary>
    public StepProgress? Current { get; private set; }

    public async Task<StepResult> RunStepAsync(int concurrency, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var measure = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measure + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var progress = new StepProgress(concurrency, start, measure, end);
        Current = progress;

        // Each worker's first request starts here, on this thread, up to its first await: queueing the workers with
        // Task.Run instead could let a busy thread pool start them late, even after the window has closed.
        var workers = new Task<WorkerResult>[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = WorkAsync(progress, cancellationToken);
        }

        var results = await Task.WhenAll(workers);
        Current = null;

        var lastEnd = results.Max(r => r.LastEnd);
        var seconds = Math.Max(0, (Math.Max(lastEnd, Math.Min(end, Stopwatch.GetTimestamp())) - measure) / (double)Stopwatch.Frequency);
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, ticks) in results.SelectMany(r => r.Errors))
        {
            errors[kind] = errors.GetValueOrDefault(kind) + ticks.Count;
        }

        var errorLatency = new SortedDictionary<string, LatencyStats>(StringComparer.Ordinal);
        foreach (var kind in errors.Keys)
        {
            var ticks = results.SelectMany(r => r.Errors.GetValueOrDefault(kind) ?? []).ToArray();
            errorLatency[kind] = LatencyStats.FromTicks(ticks, Stopwatch.Frequency);
        }

        return new StepResult(concurrency, batch, seconds, latencies.Length, errors,
            LatencyStats.FromTicks(latencies, Stopwatch.Frequency), cancellationToken.IsCancellationRequested)
        {
            ErrorLatency = errorLatency,
        };
    }

    private async Task<WorkerResult> WorkAsync(StepProgress progress, CancellationToken cancellationToken)
    {
        var result = new WorkerResult();
        while (!cancellationToken.IsCancellationRequested)
        {
            var began = Stopwatch.GetTimestamp();
            if (began >= progress.EndTimestamp)
            {
                break;
            }

            string? error = null;
            try
            {
                await client.InferAsync(options.Model, options.Version, request, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (V2ClientException ex)
            {
                error = ex.StatusCode == HttpStatusCode.OK || ex.StatusCode == 0 ? "bad-response" : ((int)ex.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (TaskCanceledException)
            {
                error = "timeout";
            }
            catch (HttpRequestException)
            {
                error = "connection";
            }

            var ended = Stopwatch.GetTimestamp();
            progress.Record(error is null);
            if (began >= progress.MeasureTimestamp)
            {
                result.LastEnd = Math.Max(result.LastEnd, ended);
                if (error is null)
                {
                    result.Latencies.Add(ended - began);
                }
                else
                {
                    // Failures keep their latency too, by kind: a refusal (429, 503) should be answered at once.
                    if (!result.Errors.TryGetValue(error, out var failed))
                    {
                        result.Errors[error] = failed = [];
                    }

                    failed.Add(ended - began);
                }
            }

            if (error == "connection")
            {
                // A refused connection fails at once; without a pause the loop would spin a core on it.
                await Task.Delay(10, CancellationToken.None);
            }
        }

        return result;
    }

    private sealed class WorkerResult
    {
        public List<long> Latencies { get; } = new(4096);

        public Dictionary<string, List<long>> Errors { get; } = new(StringComparer.Ordinal);

        public long LastEnd { get; set; }
    }
}
