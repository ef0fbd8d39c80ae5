using System.Text;
using AiServe.Core.Inference;
using AiServe.Core.Repository;
using AiServe.Tests.Common;

namespace AiServe.Onnx.Tests;

public sealed class OnnxModelBackendTests
{
    private readonly OnnxModelBackend _backend = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Run_IrisFixture_MatchesScikitLearn(int version)
    {
        var fixture = ModelFixture.Load("iris", $"v{version}.json");
        using var instance = Load("iris", version);

        var outputs = instance.Run(fixture.Inputs, ["label", "probabilities"], CancellationToken.None);

        Assert.Equal(fixture.Output("label").AsSpan<long>().ToArray(), outputs[0].AsSpan<long>().ToArray());
        AssertClose(fixture.Output("probabilities"), outputs[1], 1e-4);
    }

    [Fact]
    public void Run_OutputsFixedButForTheBatch_AreWrittenIntoPreshapedArrays()
    {
        var fixture = ModelFixture.Load("iris", "v1.json");
        using var instance = Load("iris", 1);

        var outputs = instance.Run(fixture.Inputs, ["probabilities", "label"], CancellationToken.None);

        Assert.True(((OnnxModelInstance)instance).PreshapesOutputs);
        Assert.Equal(new long[] { fixture.Inputs[0].Shape[0], 3 }, outputs[0].Shape);
        AssertClose(fixture.Output("probabilities"), outputs[0], 1e-4);
        Assert.Equal(fixture.Output("label").AsSpan<long>().ToArray(), outputs[1].AsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(TensorDataType.Fp32, new long[] { -1, 3, 2 }, true)]
    [InlineData(TensorDataType.Int64, new long[] { 2, 4 }, true)]
    [InlineData(TensorDataType.Int64, new long[] { -1 }, true)]
    [InlineData(TensorDataType.Bytes, new long[] { -1, 3 }, false)]
    [InlineData(TensorDataType.Fp32, new long[] { -1, -1 }, false)]
    [InlineData(TensorDataType.Fp32, new long[] { -1, 0 }, false)]
    [InlineData(TensorDataType.Fp32, new long[] { 0, 3 }, false)]
    [InlineData(TensorDataType.Fp32, new long[0], false)]
    public void IsPreshapeable_FixedSizeTypes_WithEveryDimensionButTheFirstFixed(TensorDataType dataType, long[] shape, bool expected) =>
        Assert.Equal(expected, OnnxModelInstance.IsPreshapeable(new TensorSpec("o", dataType, shape)));

    [Fact]
    public void Run_OutputWhoseFirstDimensionIsNotTheBatch_IsAnsweredByTheRuntimesOwnShape_AndNotPreshapedAgain()
    {
        // flat = Reshape(x, [-1]) declared ["M"]: shaped from the batch it would be [2], the model makes [8].
        using var instance = _backend.Load(new ModelLoadRequest("flatten", 1, Path.Combine(TestPaths.Fixtures, "onnx", "flatten.onnx"), new ModelConfig()));
        var x = Tensor.FromValues("x", TensorDataType.Fp32, [2, 4], new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }.AsSpan());

        var first = Assert.Single(instance.Run([x], ["flat"], CancellationToken.None));
        Assert.False(((OnnxModelInstance)instance).PreshapesOutputs);
        var second = Assert.Single(instance.Run([x], ["flat"], CancellationToken.None));

        foreach (var output in new[] { first, second })
        {
            Assert.Equal(new long[] { 8 }, output.Shape);
            Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], output.AsSpan<float>().ToArray());
        }
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("a")]
    [InlineData("b", "a")]
    public void Run_OutputThatIsTheInputItself_ReturnsTheInput(params string[] outputs)
    {
        // ONNX Runtime hands a graph input that is also an output back as the input's own value; it does not write
        // it into an array bound for the output, which would leave that array zeros.
        using var instance = _backend.Load(new ModelLoadRequest("passthrough", 1, Path.Combine(TestPaths.Fixtures, "onnx", "passthrough.onnx"), new ModelConfig()));
        var a = Tensor.FromValues("a", TensorDataType.Fp32, [2, 2], new float[] { 1, 2, 3, 4 }.AsSpan());

        var results = instance.Run([a], outputs, CancellationToken.None);

        Assert.Equal(outputs, results.Select(r => r.Name));
        Assert.All(results, r => Assert.Equal([1f, 2, 3, 4], r.AsSpan<float>().ToArray()));
        Assert.All(results, r => Assert.Equal(new long[] { 2, 2 }, r.Shape));
    }

    [Fact]
    public void Run_DataTheModelCannotRunOn_StillFails_AndKeepsPreshaping()
    {
        // b with 3 columns where the model takes 4: both runs fail on the data, so the failure says nothing about shapes.
        using var instance = _backend.Load(new ModelLoadRequest("add", 1, Path.Combine(TestPaths.DatatypesRepo, "add", "1", "model.onnx"), new ModelConfig()));
        var a = Tensor.FromValues("a", TensorDataType.Fp32, [1, 4], new float[4].AsSpan());
        var b = Tensor.FromValues("b", TensorDataType.Fp32, [1, 3], new float[3].AsSpan());

        var ex = Assert.Throws<InferenceException>(() => instance.Run([a, b], ["sum"], CancellationToken.None));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.True(((OnnxModelInstance)instance).PreshapesOutputs);
    }

    [Fact]
    public void Run_FashionMnistFixture_MatchesPyTorch()
    {
        var fixture = ModelFixture.Load("fashion-mnist", "v1.json");
        using var instance = Load("fashion-mnist", 1);

        var outputs = instance.Run(fixture.Inputs, ["probabilities"], CancellationToken.None);

        AssertClose(fixture.Output("probabilities"), outputs[0], 1e-4);
        var predicted = Enumerable.Range(0, 8).Select(i => ArgMax(outputs[0].AsSpan<float>().Slice(i * 10, 10))).ToArray();
        var truth = fixture.Root.GetProperty("true_labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(truth, predicted);
    }

    [Fact]
    public void Load_Iris_ReadsSignatureFromFile()
    {
        using var instance = Load("iris", 1);

        var input = Assert.Single(instance.Signature.Inputs);
        Assert.Equal(("input", TensorDataType.Fp32), (input.Name, input.DataType));
        Assert.Equal([-1L, 4], input.Shape);
        Assert.False(input.UnknownRank);
        Assert.Equal(["label", "probabilities"], instance.Signature.Outputs.Select(o => o.Name));
        Assert.Equal(TensorDataType.Int64, instance.Signature.Outputs[0].DataType);
    }

    [Theory]
    [InlineData("unknown_rank")]
    [InlineData("scalar")]
    public void Load_TensorWithNoDimensions_IsOfUnknownRank_WhetherTheGraphGivesItNoShapeOrIsAScalar(string fixture)
    {
        // ONNX Runtime shows both as [], so neither may be published as a scalar on the file's word alone.
        using var instance = _backend.Load(new ModelLoadRequest(fixture, 1, Path.Combine(TestPaths.Fixtures, "onnx", fixture + ".onnx"), new ModelConfig()));

        Assert.All(instance.Signature.Inputs.Concat(instance.Signature.Outputs), spec =>
        {
            Assert.True(spec.UnknownRank);
            Assert.Empty(spec.Shape);
        });
    }

    public static TheoryData<string> Datatypes => new(TensorDataTypes.All.Select(t => t.ToWireName().ToLowerInvariant()));

    [Theory]
    [MemberData(nameof(Datatypes))]
    public void Run_IdentityModel_ReturnsEveryDatatypeUnchanged(string type)
    {
        using var instance = _backend.Load(new ModelLoadRequest("identity", 1,
            Path.Combine(TestPaths.DatatypesRepo, "identity", "1", "model.onnx"), new ModelConfig()));
        var inputs = instance.Signature.Inputs.Select(spec => SampleTensor(spec.Name, spec.DataType)).ToArray();

        var outputs = instance.Run(inputs, [$"out_{type}"], CancellationToken.None);

        var expected = inputs.Single(t => t.Name == $"in_{type}");
        var actual = Assert.Single(outputs);
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.Shape, actual.Shape);
        if (expected.DataType == TensorDataType.Bytes)
        {
            Assert.Equal(expected.Elements!.Select(e => e.ToArray()), actual.Elements!.Select(e => e.ToArray()));
        }
        else
        {
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
        }
    }

    [Fact]
    public void Load_CorruptFile_ThrowsWithReason()
    {
        using var repo = new TempModelRepository().WriteCorruptVersion("broken", 1);

        var ex = Assert.Throws<InferenceException>(() => _backend.Load(
            new ModelLoadRequest("broken", 1, Path.Combine(repo.Root, "broken", "1", "model.onnx"), new ModelConfig())));

        Assert.Contains("cannot load", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNotFound()
    {
        var ex = Assert.Throws<InferenceException>(() => _backend.Load(
            new ModelLoadRequest("none", 1, "/nonexistent/model.onnx", new ModelConfig())));

        Assert.Equal(InferenceErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public void Load_UnknownExecutionProvider_ThrowsUnsupported()
    {
        var config = new ModelConfig { Onnx = new OnnxConfig { ExecutionProviders = ["cuda"] } };

        var ex = Assert.Throws<InferenceException>(() => _backend.Load(
            new ModelLoadRequest("iris", 1, Path.Combine(TestPaths.Models, "iris", "1", "model.onnx"), config)));

        Assert.Equal(InferenceErrorCode.Unsupported, ex.Code);
        Assert.Contains("cuda", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CancelledToken_ThrowsOperationCanceled()
    {
        using var instance = Load("iris", 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            instance.Run([Tensor.FromValues("input", TensorDataType.Fp32, [1, 4], new float[4].AsSpan())], ["label"], cts.Token));
    }

    [Fact]
    public void RunOptions_OfAFinishedRun_AreKept_ButNotOnesACancellationTerminated()
    {
        using var loaded = Load("iris", 1);
        var instance = (OnnxModelInstance)loaded;

        var first = instance.RentRunOptions();
        instance.ReturnRunOptions(first);
        var again = instance.RentRunOptions();
        Assert.Same(first, again);

        again.Terminate = true; // what a cancelled request's registration does
        instance.ReturnRunOptions(again);
        var fresh = instance.RentRunOptions();
        Assert.NotSame(again, fresh);
        Assert.False(fresh.Terminate);
        instance.ReturnRunOptions(fresh);

        // and runs go on after a cancelled one
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var input = Tensor.FromValues("input", TensorDataType.Fp32, [1, 4], new float[] { 5.1f, 3.5f, 1.4f, 0.2f }.AsSpan());
        Assert.ThrowsAny<OperationCanceledException>(() => instance.Run([input], ["label"], cts.Token));
        Assert.Single(instance.Run([input], ["label"], CancellationToken.None));
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("basic")]
    [InlineData("extended")]
    [InlineData("all")]
    public void Load_EachOptimizationLevelAndThreadSettings_GivesSameAnswer(string level)
    {
        var fixture = ModelFixture.Load("iris", "v1.json");
        var config = new ModelConfig { Onnx = new OnnxConfig { GraphOptimizationLevel = level, IntraOpThreads = 1, InterOpThreads = 1 } };
        using var instance = _backend.Load(new ModelLoadRequest("iris", 1, Path.Combine(TestPaths.Models, "iris", "1", "model.onnx"), config));

        var outputs = instance.Run(fixture.Inputs, ["probabilities"], CancellationToken.None);

        AssertClose(fixture.Output("probabilities"), outputs[0], 1e-4);
    }

    private IModelInstance Load(string model, int version) =>
        _backend.Load(new ModelLoadRequest(model, version, Path.Combine(TestPaths.Models, model, version.ToString(), "model.onnx"), new ModelConfig()));

    /// <summary>A 2x3 tensor of distinctive values of the type (including extremes).</summary>
    internal static Tensor SampleTensor(string name, TensorDataType type)
    {
        long[] shape = [2, 3];
        return type switch
        {
            TensorDataType.Bool => Tensor.FromValues(name, type, shape, new byte[] { 1, 0, 1, 1, 0, 0 }.AsSpan()),
            TensorDataType.UInt8 => Tensor.FromValues(name, type, shape, new byte[] { 0, 1, 2, 127, 128, 255 }.AsSpan()),
            TensorDataType.Int8 => Tensor.FromValues(name, type, shape, new sbyte[] { -128, -1, 0, 1, 2, 127 }.AsSpan()),
            TensorDataType.UInt16 => Tensor.FromValues(name, type, shape, new ushort[] { 0, 1, 2, 300, 40000, 65535 }.AsSpan()),
            TensorDataType.Int16 => Tensor.FromValues(name, type, shape, new short[] { -32768, -1, 0, 1, 300, 32767 }.AsSpan()),
            TensorDataType.UInt32 => Tensor.FromValues(name, type, shape, new uint[] { 0, 1, 2, 70000, 3000000000, uint.MaxValue }.AsSpan()),
            TensorDataType.Int32 => Tensor.FromValues(name, type, shape, new[] { int.MinValue, -1, 0, 1, 70000, int.MaxValue }.AsSpan()),
            TensorDataType.UInt64 => Tensor.FromValues(name, type, shape, new ulong[] { 0, 1, 2, 1UL << 40, 1UL << 63, ulong.MaxValue }.AsSpan()),
            TensorDataType.Int64 => Tensor.FromValues(name, type, shape, new[] { long.MinValue, -1, 0, 1, 1L << 40, long.MaxValue }.AsSpan()),
            TensorDataType.Fp16 => Tensor.FromValues(name, type, shape, new[] { (Half)0, (Half)1.5, (Half)(-2.25), Half.MaxValue, Half.Epsilon, (Half)0.1 }.AsSpan()),
            TensorDataType.Bf16 => Tensor.FromValues(name, type, shape, new[] { 0.0f, 1.5f, -2.25f, 3e38f, 1e-3f, 0.1f }.Select(TensorJson.SingleToBFloat16).ToArray().AsSpan()),
            TensorDataType.Fp32 => Tensor.FromValues(name, type, shape, new[] { 0f, 1.5f, -2.25f, float.MaxValue, float.Epsilon, 0.1f }.AsSpan()),
            TensorDataType.Fp64 => Tensor.FromValues(name, type, shape, new[] { 0d, 1.5d, -2.25d, double.MaxValue, double.Epsilon, 0.1d }.AsSpan()),
            TensorDataType.Bytes => Tensor.FromElements(name, shape, new[] { "", "a", "héllo", "日本", "with space", "x\ny" }
                .Select(s => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(s)).ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    /// <summary>Same shape and every FP32 element within <paramref name="tolerance"/>.</summary>
    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.AsSpan<float>();
        var a = actual.AsSpan<float>();
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"{actual.Name}[{i}]: expected {e[i]}, got {a[i]}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
