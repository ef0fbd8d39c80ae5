using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;

namespace AiServe.Core.Tests.Lifecycle;

public sealed class SignatureResolverTests
{
    // What the ONNX backend reads from a graph whose x and y have no shape at all (or are genuine scalars).
    private static readonly ModelSignature UnknownRank = new(
        [new TensorSpec("x", TensorDataType.Fp32, []) { UnknownRank = true }],
        [new TensorSpec("y", TensorDataType.Fp32, []) { UnknownRank = true }]);

    private static TensorConfig Declared(string name, params long[] shape) => new() { Name = name, Datatype = "FP32", Shape = shape };

    [Theory]
    [InlineData(new long[] { 3 })]
    [InlineData(new long[] { -1, 4 })]
    [InlineData(new long[0])]
    public void Resolve_ShapeDeclaredForATensorOfUnknownRank_TheDeclaredShapeIsServed(long[] shape)
    {
        var config = new ModelConfig { Inputs = [Declared("x", shape)], Outputs = [Declared("y", shape)] };

        var signature = SignatureResolver.Resolve(config, UnknownRank);

        Assert.Equal(shape, Assert.Single(signature.Inputs).Shape);
        Assert.Equal(shape, Assert.Single(signature.Outputs).Shape);
        Assert.DoesNotContain(signature.Inputs.Concat(signature.Outputs), s => s.UnknownRank);
    }

    [Theory]
    [InlineData(new long[] { -1, -1 }, new long[] { -1, 2 }, new long[] { -1, 2 })] // a size the file leaves open
    [InlineData(new long[] { -1, 2 }, new long[] { -1, 2 }, null)] // the file's own size: nothing added
    [InlineData(new long[] { -1, 2 }, new long[] { -1, -1 }, null)] // -1 declared: the file's size is published, not promised
    [InlineData(new long[] { -1, -1, -1 }, new long[] { 4, -1, 5 }, new long[] { 4, -1, 5 })]
    public void Resolve_OutputDeclared_PromisesOnlyTheSizesModelJsonAdds(long[] file, long[] declared, long[]? promise)
    {
        var fromFile = new ModelSignature(
            [new TensorSpec("x", TensorDataType.Fp32, [-1, -1])],
            [new TensorSpec("y", TensorDataType.Fp32, file)]);
        var config = new ModelConfig { Inputs = [Declared("x", -1, 2)], Outputs = [Declared("y", declared)] };

        var signature = SignatureResolver.Resolve(config, fromFile);

        Assert.Equal(promise, Assert.Single(signature.Outputs).Promise);
        Assert.Null(Assert.Single(signature.Inputs).Promise); // inputs are checked as requests arrive
    }

    [Fact]
    public void Resolve_OutputOfUnknownRankDeclared_PromisesTheWholeDeclaredShape()
    {
        var config = new ModelConfig { Inputs = [Declared("x", -1, 4)], Outputs = [Declared("y", -1, 3)] };

        var signature = SignatureResolver.Resolve(config, UnknownRank);

        Assert.Equal(new long[] { -1, 3 }, Assert.Single(signature.Outputs).Promise);
    }

    [Fact]
    public void Resolve_InputOfUnknownRankNotDeclared_RefusedNamingTheInput()
    {
        var config = new ModelConfig { Outputs = [Declared("y", 3)] };

        var ex = Assert.Throws<ModelConfigException>(() => SignatureResolver.Resolve(config, UnknownRank));

        Assert.Contains("input 'x' is a scalar or a tensor of any rank", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"inputs\" ([] for a scalar), which then lists every input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OutputOfUnknownRankNotDeclared_RefusedNamingTheOutput()
    {
        var config = new ModelConfig { Inputs = [Declared("x", 3)] };

        var ex = Assert.Throws<ModelConfigException>(() => SignatureResolver.Resolve(config, UnknownRank));

        Assert.Contains("output 'y' is a scalar or a tensor of any rank", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownRankWithBatching_RefusedForTheRankNotForTheBatchDimension()
    {
        var config = new ModelConfig { MaxBatchSize = 8 };

        var ex = Assert.Throws<ModelConfigException>(() => SignatureResolver.Resolve(config, UnknownRank));

        Assert.Contains("input 'x' is a scalar or a tensor of any rank", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OutputOfUnknownRankLeftOutOfDeclaredOutputs_IsNotServed()
    {
        var config = new ModelConfig { Inputs = [Declared("x", 3)], Outputs = [Declared("z", 3)] };
        var file = UnknownRank with { Outputs = [.. UnknownRank.Outputs, new TensorSpec("z", TensorDataType.Fp32, [-1])] };

        var signature = SignatureResolver.Resolve(config, file);

        Assert.Equal("z", Assert.Single(signature.Outputs).Name);
    }

    [Fact]
    public void Resolve_DeclaredRankOtherThanAKnownRankInTheFile_StillRefused()
    {
        var file = new ModelSignature([new TensorSpec("x", TensorDataType.Fp32, [])], [new TensorSpec("y", TensorDataType.Fp32, [-1])]);

        var ex = Assert.Throws<ModelConfigException>(() => SignatureResolver.Resolve(new ModelConfig { Inputs = [Declared("x", 3)] }, file));

        Assert.Contains("model.json declares input 'x' with shape [3], the model file has []", ex.Message, StringComparison.Ordinal);
    }
}
