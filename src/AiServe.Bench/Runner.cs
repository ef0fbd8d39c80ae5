using System.Diagnostics;
using System.Net;
using AiServe.Client;

namespace AiServe.Bench;

/// <summary>
/// Runs the steps: closed loop (<see cref="RunStepAsync"/>: N workers, each sending the same pre-encoded request
/// back to back) or open loop (<see cref="RunRateStepAsync"/>), from the start of warm-up until the end of the
/// measured window. A request counts when it starts inside the window; the last ones may finish after it, so the
/// window runs to the last counted completion. A request still unanswered <see cref="EndGrace"/> after the window
/// is cut off and counts as <see cref="Unfinished"/>, so that a stalled server cannot hold a step up to --timeout
/// past its end. Closed-loop workers own their own recorders; nothing is shared on the hot path except the
/// progress counters.
/// </summary>
internal sealed class Runner(V2Client client, BenchOptions options, EncodedInferRequest request, int batch)
{
    /// <summary>The error kind of an open-loop request that was due while the outstanding limit was reached.</summary>
    public const string NotSent = "not-sent";

    /// <summary>The error kind of a request cut off <see cref="EndGrace"/> after its step's end, still unanswered.</summary>
    public const string Unfinished = "unfinished";

    /// <summary>The error kind of a request that ran past --timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>The error kind of a request whose connection failed (refused, reset).</summary>
    public const string Connection = "connection";

    /// <summary>The error kind of an answer that is not a V2 inference response.</summary>
    public const string BadResponse = "bad-response";

    /// <summary>Every error kind but HTTP statuses, as the reports name them.</summary>
    public static readonly string[] ErrorKinds = [Timeout, Connection, BadResponse, NotSent, Unfinished];

    /// <summary>How long the requests in flight when a step's window closes may still take before they are cut off.</summary>
    public static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(1);

    // Ctrl+C stopped the request: not counted at all.
    private const string Cancelled = "cancelled";

    /// <summary>The progress of the step that is running, for the live line; null between steps.</summary>
    public StepProgress? Current { get; private set; }

    public async Task<StepResult> RunStepAsync(int concurrency, CancellationToken cancellationToken)
    {
        var (start, measure, end) = Window();
        var progress = new StepProgress(concurrency, start, measure, end);
        Current = progress;
        using var cutOff = CutOffAfter(end, cancellationToken);

        // Each worker's first request starts here, on this thread, up to its first await: queueing the workers with
        // Task.Run instead could let a busy thread pool start them late, even after the window has closed.
        var workers = new Task<WorkerResult>[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = WorkAsync(progress, cutOff.Token, cancellationToken);
        }

        var results = await Task.WhenAll(workers);
        Current = null;
        return Summarise(results, concurrency, measure, end, cancellationToken);
    }

    /// <summary>
    /// Runs one open-loop step: requests start at a fixed rate (requests/s) whether or not earlier ones have
    /// answered, at most <see cref="BenchOptions.MaxOutstanding"/> at a time; a request due while that many are
    /// outstanding is not sent and counts as a <c>not-sent</c> error. Latency runs from when a request was due, not
    /// from when it left, so a client that falls behind shows it (no coordinated omission). Nothing is retried.
    /// </summary>
    public async Task<StepResult> RunRateStepAsync(int rate, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        var (start, measure, end) = Window();
        var progress = new StepProgress(options.MaxOutstanding, start, measure, end) { Rate = rate };
        Current = progress;
        using var cutOff = CutOffAfter(end, cancellationToken);

        var shared = new WorkerResult();
        var requests = new List<Task>();
        var outstanding = 0;
        long sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Every request due by now (the first at the start), in order of its due time; after a stall (a busy
            // machine, a slow first connection) the ones due meanwhile go at once, late, and their latency says so.
            var now = Stopwatch.GetTimestamp();
            var due = (long)((Math.Min(now, end) - start) * (double)rate / Stopwatch.Frequency) + 1;
            for (; sent < due; sent++)
            {
                var scheduled = start + (long)(sent * (double)Stopwatch.Frequency / rate);
                if (scheduled >= end)
                {
                    break;
                }

                if (Volatile.Read(ref outstanding) >= options.MaxOutstanding)
                {
                    progress.Record(success: false);
                    Add(shared, progress, scheduled, scheduled, NotSent);
                    continue;
                }

                Interlocked.Increment(ref outstanding);
                requests.Add(SendScheduledAsync(scheduled));
            }

            if (now >= end)
            {
                break;
            }

            try
            {
                await Task.Delay(1, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(requests);
        Current = null;
        var step = Summarise([shared], options.MaxOutstanding, measure, end, cancellationToken);
        return step with { RequestRate = rate };

        async Task SendScheduledAsync(long scheduled)
        {
            try
            {
                var error = await SendAsync(cutOff.Token, cancellationToken);
                if (error != Cancelled)
                {
                    progress.Record(error is null);
                    Add(shared, progress, scheduled, Stopwatch.GetTimestamp(), error);
                }
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
            }
        }

        static void Add(WorkerResult result, StepProgress progress, long began, long ended, string? error)
        {
            lock (result)
            {
                Record(result, progress, began, ended, error);
            }
        }
    }

    /// <summary>The token a step's requests are sent with: cancelled by Ctrl+C, or <see cref="EndGrace"/> after <paramref name="end"/>.</summary>
    private static CancellationTokenSource CutOffAfter(long end, CancellationToken cancellationToken)
    {
        var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        step.CancelAfter(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end) + EndGrace);
        return step;
    }

    /// <summary>A step's timestamps from now: its start, the end of warm-up (measuring starts) and its end.</summary>
    private (long Start, long Measure, long End) Window()
    {
        var start = Stopwatch.GetTimestamp();
        var measure = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        return (start, measure, measure + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency));
    }

    private StepResult Summarise(WorkerResult[] results, int concurrency, long measure, long end, CancellationToken cancellationToken)
    {
        var lastEnd = results.Max(r => r.LastEnd);
        var seconds = Math.Max(0, (Math.Max(lastEnd, Math.Min(end, Stopwatch.GetTimestamp())) - measure) / (double)Stopwatch.Frequency);
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, ticks) in results.SelectMany(r => r.Errors))
        {
            errors[kind] = errors.GetValueOrDefault(kind) + ticks.Count;
        }

        // Not-sent and unfinished requests got no answer: the time recorded for them is the runner's, not a latency.
        var errorLatency = new SortedDictionary<string, LatencyStats>(StringComparer.Ordinal);
        foreach (var kind in errors.Keys.Where(k => k is not NotSent and not Unfinished))
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

    private async Task<WorkerResult> WorkAsync(StepProgress progress, CancellationToken step, CancellationToken cancellationToken)
    {
        var result = new WorkerResult();
        while (!cancellationToken.IsCancellationRequested)
        {
            var began = Stopwatch.GetTimestamp();
            if (began >= progress.EndTimestamp)
            {
                break;
            }

            var error = await SendAsync(step, cancellationToken);
            if (error == Cancelled)
            {
                break;
            }

            progress.Record(error is null);
            Record(result, progress, began, Stopwatch.GetTimestamp(), error);

            if (error == Connection)
            {
                // A refused connection fails at once; without a pause the loop would spin a core on it.
                await Task.Delay(10, CancellationToken.None);
            }
        }

        return result;
    }

    /// <summary>
    /// Sends the request once with the step's token: null when it succeeded, else the kind of failure
    /// (<see cref="Cancelled"/> when Ctrl+C stopped it, <see cref="Unfinished"/> when the step cut it off).
    /// </summary>
    private async Task<string?> SendAsync(CancellationToken step, CancellationToken cancellationToken)
    {
        try
        {
            await client.InferAsync(options.Model, options.Version, request, step);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Cancelled;
        }
        catch (OperationCanceledException) when (step.IsCancellationRequested)
        {
            return Unfinished;
        }
        catch (V2ClientException ex)
        {
            return ex.StatusCode == HttpStatusCode.OK || ex.StatusCode == 0 ? BadResponse : ((int)ex.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (TaskCanceledException)
        {
            return Timeout;
        }
        catch (HttpRequestException)
        {
            return Connection;
        }
#pragma warning disable CA1031 // One request's failure, whatever it is, must not end the run and lose every result.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The client's contract makes an answer it cannot read a V2ClientException; anything else escaping it
            // came from reading one answer all the same.
            return BadResponse;
        }
    }

    /// <summary>Counts a request that began inside the measured window: its latency, by outcome.</summary>
    private static void Record(WorkerResult result, StepProgress progress, long began, long ended, string? error)
    {
        if (began < progress.MeasureTimestamp)
        {
            return;
        }

        // A cut-off is the runner's doing, not a completion: it does not stretch the window.
        if (error != Unfinished)
        {
            result.LastEnd = Math.Max(result.LastEnd, ended);
        }

        if (error is null)
        {
            result.Latencies.Add(ended - began);
            return;
        }

        // Failures keep their latency too, by kind: a refusal (429, 503) should be answered at once.
        if (!result.Errors.TryGetValue(error, out var failed))
        {
            result.Errors[error] = failed = [];
        }

        failed.Add(ended - began);
    }

    private sealed class WorkerResult
    {
        // Not presized: at high concurrency most workers record few requests, some none.
        public List<long> Latencies { get; } = [];

        public Dictionary<string, List<long>> Errors { get; } = new(StringComparer.Ordinal);

        public long LastEnd { get; set; }
    }
}
