using AiServe.Core.Inference;
using BenchmarkDotNet.Attributes;

namespace AiServe.Benchmarks;

/// <summary>
/// The yardstick: in-process ONNX Runtime runs through AiServe's backend, per model, batch size and number of callers
/// sharing the one session (as a model's instances do in the server), no HTTP and no queue. Each operation is one
/// run, so the mean is the wall time per run of all callers together: runs per second = 1 / mean, inferences per
/// second = batch / mean.
/// </summary>
/// <remarks>
/// The models are iris, fashion-mnist and wide, and wide-xl when its ONNX file has been made
/// (<c>tests/fixtures/repos/perf/make.py wide-xl</c>); <c>AISERVE_ONNXRUN_MODELS</c> (space-separated names) picks others.
/// </remarks>
[MemoryDiagnoser]
public class OnnxRunBenchmarks
{
    /// <summary>Runs per operation group: enough that starting the second caller is a small part of it.</summary>
    private const int RunsPerInvoke = 64;

    private IModelInstance _instance = null!;
    private Tensor[] _inputs = null!;
    private string[] _outputs = null!;

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [Params(1, 8, 32)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Callers { get; set; }

    public static IEnumerable<string> Models()
    {
        var chosen = Environment.GetEnvironmentVariable("AISERVE_ONNXRUN_MODELS");
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            return chosen.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var models = new List<string> { "iris", "fashion-mnist", "wide" };
        if (File.Exists(Path.Combine(RepoPaths.ModelFolder("wide-xl"), "1", "model.onnx")))
        {
            models.Add("wide-xl");
        }

        return models;
    }

    [GlobalSetup]
    public void Setup()
    {
        _instance = RepoPaths.Load(Model);
        var spec = _instance.Signature.Inputs[0];
        var shape = spec.Shape.Select((d, i) => i == 0 ? Batch : Math.Max(d, 1)).ToArray();
        _inputs = [Tensor.FromValues<float>(spec.Name, TensorDataType.Fp32, shape, Bodies.RandomFloats(TensorShape.ElementCount(shape)))];
        _outputs = _instance.Signature.Outputs.Select(o => o.Name).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _instance.Dispose();

    [Benchmark(OperationsPerInvoke = RunsPerInvoke)]
    public void Run()
    {
        if (Callers == 1)
        {
            RunMany(RunsPerInvoke);
            return;
        }

        // The other callers on pool threads, this thread the last one; each makes its share of the runs.
        var others = new Task[Callers - 1];
        for (var i = 0; i < others.Length; i++)
        {
            others[i] = Task.Run(() => RunMany(RunsPerInvoke / Callers));
        }

        RunMany(RunsPerInvoke / Callers);
        Task.WaitAll(others);
    }

    private void RunMany(int runs)
    {
        for (var i = 0; i < runs; i++)
        {
            _instance.Run(_inputs, _outputs, CancellationToken.None);
        }
    }
}
