using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;
using AiServe.Onnx;
using BenchmarkDotNet.Attributes;

namespace AiServe.Benchmarks;

/// <summary>
/// What every request pays to find its model version and hold it: <see cref="ModelManager.Acquire"/> and the lease's
/// release, for the highest ready version (no version in the URL, the common case) and for a named one. iris from
/// the bundled repository (two versions), loaded into ONNX Runtime as the server does.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes through [GlobalCleanup].
public class ModelManagerBenchmarks
#pragma warning restore CA1001
{
    private ModelManager _manager = null!;

    [GlobalSetup]
    public void Setup()
    {
        _manager = new ModelManager(new OnnxModelBackend());
        _manager.Apply(new FileSystemModelSource(Path.Combine(RepoPaths.Root, "models")).Scan());
    }

    [GlobalCleanup]
    public void Cleanup() => _manager.Dispose();

    [Benchmark(Baseline = true, Description = "Acquire iris (highest ready version)")]
    public long Latest()
    {
        using var lease = _manager.Acquire("iris");
        return lease.Version.Version;
    }

    [Benchmark(Description = "Acquire iris version 1")]
    public long Named()
    {
        using var lease = _manager.Acquire("iris", 1);
        return lease.Version.Version;
    }
}
