using AiServe.Core.Inference;
using AiServe.Core.Scheduling;
using BenchmarkDotNet.Attributes;

namespace AiServe.Benchmarks;

/// <summary>
/// What the scheduler costs per request, enqueue to completion, with a model that does nothing: N callers each
/// schedule one iris-shaped request at once and wait for it. Reported per request (OperationsPerInvoke = N). The
/// callers are issued from one thread, so with OnCaller every request finds the instance free and runs inline.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes through [GlobalCleanup].
public class DynamicBatcherBenchmarks
#pragma warning restore CA1001
{
    private DynamicBatcher _batcher = null!;
    private Tensor[] _inputs = null!;
    private readonly string[] _outputs = ["probabilities"];
    private readonly Task<IReadOnlyList<Tensor>>[] _pending = new Task<IReadOnlyList<Tensor>>[8];

    [Params(1, 8)]
    public int Callers { get; set; }

    [Params(false, true)]
    public bool Batching { get; set; }

    /// <summary>Floats per request row: 4 (an iris row) or 784 (a Fashion-MNIST image), to show per-size costs.</summary>
    [Params(4, 784)]
    public int Features { get; set; }

    /// <summary>
    /// Whether a request that finds the queue empty and the instance free runs on its caller (RunInlineWhenIdle, what
    /// the server does), or every request goes through the queue to a worker.
    /// </summary>
    [Params(false, true)]
    public bool OnCaller { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _inputs = [Tensor.FromValues<float>("input", TensorDataType.Fp32, [1, Features], new float[Features])];
        var options = new BatchingOptions(Batching, Batching ? 64 : 0, [], TimeSpan.Zero, BatchingOptions.DefaultMaxQueueSize, false, null, 1, RunInlineWhenIdle: OnCaller);
        _batcher = new DynamicBatcher(new NoOpInstance(), options, TimeProvider.System, "benchmark");
    }

    [GlobalCleanup]
    public void Cleanup() => _batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = 8)]
    public async Task ScheduleToCompletion()
    {
        // Always 8 requests per invoke: in rounds of Callers concurrent requests.
        for (var round = 0; round < 8 / Callers; round++)
        {
            for (var i = 0; i < Callers; i++)
            {
                _pending[i] = _batcher.ScheduleAsync(_inputs, _outputs, ScheduleOptions.None, CancellationToken.None);
            }

            for (var i = 0; i < Callers; i++)
            {
                await _pending[i];
            }
        }
    }

    /// <summary>Answers every run at once with one FP32 value per row.</summary>
    private sealed class NoOpInstance : IModelInstance
    {
        public ModelSignature Signature { get; } = new(
            [new TensorSpec("input", TensorDataType.Fp32, [-1, -1])],
            [new TensorSpec("probabilities", TensorDataType.Fp32, [-1, 1])]);

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
        {
            var rows = inputs[0].ShapeSpan[0];
            return [Tensor.FromValues<float>("probabilities", TensorDataType.Fp32, [rows, 1], new float[rows])];
        }

        public void Dispose()
        {
        }
    }
}
