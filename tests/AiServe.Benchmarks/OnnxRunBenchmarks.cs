using AiServe.Core.Inference;
using BenchmarkDotNet.Attributes;

namespace AiServe.Benchmarks;

/// <summary>The yardstick: one in-process ONNX Runtime run through AiServe's backend, per model and batch size, no HTTP, no queue.</summary>
[MemoryDiagnoser]
public class OnnxRunBenchmarks
{
    private IModelInstance _instance = null!;
    private Tensor[] _inputs = null!;
    private string[] _outputs = null!;

    [Params("iris", "fashion-mnist", "wide")]
    public string Model { get; set; } = "";

    [Params(1, 8, 32)]
    public int Batch { get; set; }

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

    [Benchmark]
    public IReadOnlyList<Tensor> Run() => _instance.Run(_inputs, _outputs, CancellationToken.None);
}
