using AiServe.Core.Inference;
using AiServe.Core.Scheduling;

namespace AiServe.Core.Tests.Scheduling;

/// <summary>
/// Many concurrent callers on real time and real threads, with everything that can end a request early mixed in:
/// deadlines, cancellations, inputs the model refuses, shapes that cannot merge, priorities, a small queue. Each
/// request must end exactly as it may (its own answer, or an error it earned), none may hang, and the model must never
/// run more at once than its instances or more rows than its batch limit. Seeded, so a failure can be replayed.
/// </summary>
public sealed class DynamicBatcherStressTests
{
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    public static TheoryData<string, BatchingOptions> Configurations() => new()
    {
        { "batching, 1 instance, no delay, inline", Options(batching: true, instances: 1, delayUs: 0, queue: 1024) },
        { "batching, 2 instances, 300 us delay, preferred 4", Options(batching: true, instances: 2, delayUs: 300, queue: 1024) with { PreferredBatchSizes = [4] } },
        { "batching, 1 instance, 1 ms delay, ordering preserved", Options(batching: true, instances: 1, delayUs: 1000, queue: 1024) with { PreserveOrdering = true } },
        { "batching, 3 instances, small queue", Options(batching: true, instances: 3, delayUs: 100, queue: 6) },
        { "no batching, 2 instances, inline, ordering preserved", Options(batching: false, instances: 2, delayUs: 0, queue: 1024) with { PreserveOrdering = true } },
        { "batching, 1 instance, default timeout 5 ms", Options(batching: true, instances: 1, delayUs: 200, queue: 1024) with { DefaultTimeout = TimeSpan.FromMilliseconds(5) } },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task ManyCallers_EveryRequestEndsAsItMay_NoneHangs(string name, BatchingOptions options)
    {
        using var instance = new EchoInstance(seed: name.Length);
        var batcher = new DynamicBatcher(instance, options, TimeProvider.System, "model 'stress'");
        var random = new Random(name.Length * 7919);
        var plans = Enumerable.Range(0, 600).Select(id => Plan.Random(id, random, options.Batching ? options.MaxBatchSize : 3)).ToArray();

        // 16 callers, each sending its share of the requests one after another, a few in flight at once.
        var outcomes = new Outcome[plans.Length];
        var callers = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var mine = plans.Where(p => p.Id % 16 == c).ToArray();
            foreach (var chunk in mine.Chunk(3))
            {
                await Task.WhenAll(chunk.Select(async p => outcomes[p.Id] = await SendAsync(batcher, p)));
            }
        }));
        await Task.WhenAll(callers).WaitAsync(HangBound);

        var queueLimited = options.MaxQueueSize < 100;
        for (var i = 0; i < plans.Length; i++)
        {
            var (plan, outcome) = (plans[i], outcomes[i]);
            if (outcome.Result is { } result)
            {
                Assert.False(plan.Poisoned, $"{name}: request {i} holds input the model refuses, yet succeeded");
                var y = Assert.Single(result);
                Assert.Equal([plan.Rows, plan.Width], y.Shape);
                Assert.Equal(plan.Values.Select(v => v + 1), y.AsSpan<float>().ToArray());
                continue;
            }

            var error = Assert.IsType<InferenceException>(outcome.Error);
            var earned = error.Code switch
            {
                InferenceErrorCode.InvalidArgument => plan.Poisoned,
                InferenceErrorCode.DeadlineExceeded => plan.Timeout is not null || options.DefaultTimeout is not null,
                InferenceErrorCode.Cancelled => plan.CancelAfter is not null,
                InferenceErrorCode.ResourceExhausted => queueLimited,
                _ => false,
            };
            Assert.True(earned, $"{name}: request {i} ({plan}) failed with {error.Code}: {error.Message}");
        }

        // Most requests ask for nothing that ends them early: unless the queue or the model's deadline is tight, most must succeed.
        var succeeded = outcomes.Count(o => o.Result is not null);
        Assert.True(queueLimited || options.DefaultTimeout is not null ? succeeded > 0 : succeeded > plans.Length / 3, $"{name}: only {succeeded} of {plans.Length} succeeded");
        Assert.True(instance.MostAtOnce <= options.InstanceCount, $"{name}: {instance.MostAtOnce} runs at once with {options.InstanceCount} instances");
        Assert.True(instance.MostRows <= Math.Max(options.MaxBatchSize, 3), $"{name}: a run of {instance.MostRows} rows");
        Assert.Equal(0, batcher.QueuedRequests);
        await batcher.DisposeAsync().AsTask().WaitAsync(HangBound);
    }

    private static async Task<Outcome> SendAsync(DynamicBatcher batcher, Plan plan)
    {
        using var cancel = new CancellationTokenSource();
        if (plan.CancelAfter is { } after)
        {
            cancel.CancelAfter(after);
        }

        var x = Tensor.FromValues("x", TensorDataType.Fp32, [plan.Rows, plan.Width], plan.Values.AsSpan());
        try
        {
            return new Outcome(await batcher.ScheduleAsync([x], ["y"], new ScheduleOptions(plan.Priority, plan.Timeout), cancel.Token), null);
        }
#pragma warning disable CA1031 // Every error is an outcome to check.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new Outcome(null, ex);
        }
    }

    private static BatchingOptions Options(bool batching, int instances, int delayUs, int queue) =>
        new(batching, batching ? 8 : 0, [], TimeSpan.FromMicroseconds(delayUs), queue, PreserveOrdering: false, DefaultTimeout: null, instances, RunInlineWhenIdle: true);

    private sealed record Outcome(IReadOnlyList<Tensor>? Result, Exception? Error);

    /// <summary>One request: its rows and width (2 or 3, which never merge), values unique to it, and what may end it early.</summary>
    private sealed record Plan(int Id, int Rows, int Width, float[] Values, int Priority, TimeSpan? Timeout, TimeSpan? CancelAfter, bool Poisoned)
    {
        public static Plan Random(int id, Random random, int maxRows)
        {
            var rows = random.Next(1, Math.Min(maxRows, 4) + 1);
            var width = random.Next(2, 4);
            var values = Enumerable.Range(0, rows * width).Select(j => id * 100f + j).ToArray();
            var poisoned = random.NextDouble() < 0.05;
            if (poisoned)
            {
                values[random.Next(values.Length)] = float.NaN;
            }

            var timeout = random.NextDouble() < 0.2 ? TimeSpan.FromMicroseconds(random.Next(200, 10_000)) : (TimeSpan?)null;
            var cancelAfter = random.NextDouble() < 0.15 ? TimeSpan.FromMicroseconds(random.Next(0, 3_000)) : (TimeSpan?)null;
            return new Plan(id, rows, width, values, random.Next(0, 4), timeout, cancelAfter, poisoned);
        }

        public override string ToString() =>
            $"rows {Rows}, width {Width}, priority {Priority}, timeout {Timeout?.TotalMilliseconds}, cancel after {CancelAfter?.TotalMilliseconds}, poisoned {Poisoned}";
    }

    /// <summary>
    /// y = x + 1, taking some time (spins, often a sleep) so that runs overlap, queues form and deadlines pass; refuses
    /// a NaN as a real model refuses an id past its vocabulary; stops when its run is cancelled, as ONNX Runtime does.
    /// </summary>
    private sealed class EchoInstance(int seed) : IModelInstance
    {
        private readonly ThreadLocal<Random> _random = new(() => new Random(seed ^ Environment.CurrentManagedThreadId));
        private int _running;
        private long _mostAtOnce;
        private long _mostRows;

        public ModelSignature Signature { get; } = new([new TensorSpec("x", TensorDataType.Fp32, [-1, -1])], [new TensorSpec("y", TensorDataType.Fp32, [-1, -1])]);

        public long MostAtOnce => Interlocked.Read(ref _mostAtOnce);

        public long MostRows => Interlocked.Read(ref _mostRows);

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            try
            {
                Raise(ref _mostAtOnce, running);
                var x = inputs[0];
                Raise(ref _mostRows, x.ShapeSpan[0]);

                var random = _random.Value!;
                if (random.Next(3) == 0)
                {
                    Thread.Sleep(1);
                }
                else
                {
                    Thread.SpinWait(random.Next(1_000, 30_000));
                }

                cancellationToken.ThrowIfCancellationRequested();
                var values = x.AsSpan<float>().ToArray();
                if (values.Any(float.IsNaN))
                {
                    throw new InferenceException(InferenceErrorCode.InvalidArgument, "input holds NaN");
                }

                return [Tensor.FromValues("y", TensorDataType.Fp32, x.Shape.ToArray(), values.Select(v => v + 1).ToArray().AsSpan())];
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        public void Dispose() => _random.Dispose();

        private static void Raise(ref long most, long value)
        {
            for (var seen = Interlocked.Read(ref most); value > seen; seen = Interlocked.Read(ref most))
            {
                Interlocked.CompareExchange(ref most, value, seen);
            }
        }
    }
}
