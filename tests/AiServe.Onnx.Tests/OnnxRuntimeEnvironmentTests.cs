using AiServe.Core.Inference;
using AiServe.Core.Repository;
using AiServe.Tests.Common;

namespace AiServe.Onnx.Tests;

public sealed class OnnxRuntimeEnvironmentTests
{
    [Fact]
    public void Load_TenSessions_ShareTheGlobalPoolInsteadOfMakingTheirOwn()
    {
        var backend = new OnnxModelBackend();
        var path = Path.Combine(TestPaths.Models, "fashion-mnist", "1", "model.onnx");
        Assert.Equal(Environment.ProcessorCount, OnnxRuntimeEnvironment.GlobalIntraOpThreads);

        var before = ThreadCount();
        var shared = Enumerable.Range(0, 10).Select(_ => backend.Load(new ModelLoadRequest("f", 1, path, new ModelConfig()))).ToList();
        var withShared = ThreadCount() - before;

        var own = Enumerable.Range(0, 10).Select(_ => backend.Load(new ModelLoadRequest("f", 1, path,
            new ModelConfig { Onnx = new OnnxConfig { IntraOpThreads = 2 } }))).ToList();
        var withOwn = ThreadCount() - before - withShared;
        shared.Concat(own).ToList().ForEach(i => i.Dispose());

        // A session with its own pool of 2 starts a pool thread; sessions on the shared pool start none.
        Assert.True(withOwn >= 10, $"sessions with their own pools added {withOwn} threads");
        Assert.True(withShared < 3, $"sessions on the shared pool added {withShared} threads");
    }

    [Fact]
    public void Load_OwnPoolLargerThanTheCores_CappedAtTheCores()
    {
        var backend = new OnnxModelBackend();
        var path = Path.Combine(TestPaths.Models, "iris", "1", "model.onnx");
        var before = ThreadCount();

        // A typo's hundred thousand threads: ONNX Runtime would try to start every one of them.
        using var instance = backend.Load(new ModelLoadRequest("iris", 1, path,
            new ModelConfig { Onnx = new OnnxConfig { IntraOpThreads = 100_000, InterOpThreads = 100_000 } }));
        var added = ThreadCount() - before;

        Assert.True(added <= 2 * Environment.ProcessorCount, $"the session added {added} threads on {Environment.ProcessorCount} cores");
        var output = instance.Run([Tensor.FromValues("input", TensorDataType.Fp32, [1, 4], new[] { 5.1f, 3.5f, 1.4f, 0.2f }.AsSpan())], ["label"], CancellationToken.None);
        Assert.Equal(0L, output[0].AsSpan<long>()[0]);
    }

    private static int ThreadCount() => Directory.GetDirectories("/proc/self/task").Length;
}

public sealed class GlobalThreadsForTests
{
    [Theory]
    [InlineData(true, 0, 2, 2)]
    [InlineData(true, 1, 2, 1)]
    [InlineData(true, 2, 4, 2)]
    [InlineData(true, 100_000, 2, 2)]
    [InlineData(true, -3, 4, 4)]
    [InlineData(false, 0, 2, 0)]
    [InlineData(false, 8, 2, 0)]
    public void GlobalThreadsFor_ConfiguredCountCappedAtTheCores_ZeroWithoutGlobalPools(bool global, int configured, int cores, int expected)
    {
        var options = new OnnxBackendOptions { UseGlobalThreadPools = global, GlobalIntraOpThreads = configured };
        Assert.Equal(expected, OnnxRuntimeEnvironment.GlobalThreadsFor(options, cores));
    }
}
