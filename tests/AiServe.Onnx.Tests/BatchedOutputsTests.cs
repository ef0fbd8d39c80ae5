using System.Collections.Concurrent;
using AiServe.Core.Inference;
using AiServe.Core.Repository;
using AiServe.Core.Scheduling;
using AiServe.Tests.Common;

namespace AiServe.Onnx.Tests;

/// <summary>
/// The real model behind the real scheduler: requests merged into one run over outputs written by ONNX Runtime into
/// one array each run, then split back, each caller getting its own rows.
/// </summary>
public sealed class BatchedOutputsTests
{
    [Fact]
    public async Task MergedRequests_EachGetTheirOwnRows()
    {
        var fixture = ModelFixture.Load("iris", "v1.json");
        using var iris = new OnnxModelBackend().Load(new ModelLoadRequest("iris", 1, Path.Combine(TestPaths.Models, "iris", "1", "model.onnx"), new ModelConfig()));
        var counting = new CountingInstance(iris);

        // Up to 8 rows, 6 preferred, waiting up to 2 s: the 6 requests below are queued within microseconds and run together.
        var options = new BatchingOptions(true, 8, [6], TimeSpan.FromSeconds(2), 64, false, null, 1);
        await using var batcher = new DynamicBatcher(counting, options, TimeProvider.System, "model 'iris' version 1");
        var input = fixture.Inputs[0].AsSpan<float>().ToArray();
        var requests = Enumerable.Range(0, 6)
            .Select(row => batcher.ScheduleAsync(
                [Tensor.FromValues("input", TensorDataType.Fp32, [1, 4], input.AsSpan(row * 4, 4))],
                ["label", "probabilities"], ScheduleOptions.None, CancellationToken.None))
            .ToArray();
        var answers = await Task.WhenAll(requests);

        Assert.Equal(6, counting.RowsPerRun.Max());
        var labels = fixture.Output("label").AsSpan<long>();
        var probabilities = fixture.Output("probabilities").AsSpan<float>();
        for (var row = 0; row < answers.Length; row++)
        {
            Assert.Equal(new long[] { 1 }, answers[row][0].Shape);
            Assert.Equal(labels[row], answers[row][0].AsSpan<long>()[0]);
            Assert.Equal(new long[] { 1, 3 }, answers[row][1].Shape);
            var got = answers[row][1].AsSpan<float>();
            for (var k = 0; k < 3; k++)
            {
                Assert.InRange(got[k], probabilities[(row * 3) + k] - 1e-4f, probabilities[(row * 3) + k] + 1e-4f);
            }
        }
    }

    private sealed class CountingInstance(IModelInstance inner) : IModelInstance
    {
        public ModelSignature Signature => inner.Signature;

        public ConcurrentBag<long> RowsPerRun { get; } = [];

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
        {
            RowsPerRun.Add(inputs[0].ShapeSpan[0]);
            return inner.Run(inputs, outputNames, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
