using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Inference;

public sealed class InferenceRequestValidatorTests
{
    private static readonly ModelSignature Signature = new(
        [new TensorSpec("a", TensorDataType.Fp32, [-1, 2]), new TensorSpec("b", TensorDataType.Int64, [-1])],
        [new TensorSpec("y", TensorDataType.Fp32, [-1, 2]), new TensorSpec("z", TensorDataType.Int64, [-1])]);

    private static Tensor A(long batch) => Tensor.FromValues("a", TensorDataType.Fp32, [batch, 2], new float[batch * 2].AsSpan());

    private static Tensor B(long batch) => Tensor.FromValues("b", TensorDataType.Int64, [batch], new long[batch].AsSpan());

    private static void Validate(IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? outputs = null, int maxBatchSize = 4) =>
        InferenceRequestValidator.Validate(new InferenceRequest(inputs, outputs), Signature, maxBatchSize, "m", 3);

    private static InferenceException Fails(IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? outputs = null, int maxBatchSize = 4)
    {
        var ex = Assert.Throws<InferenceException>(() => Validate(inputs, outputs, maxBatchSize));
        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        return ex;
    }

    [Fact]
    public void Validate_MatchingRequest_DoesNotThrow()
    {
        Validate([B(2), A(2)], ["z"]);
    }

    [Fact]
    public void Validate_UnknownInput_NamesInputAndExpected()
    {
        var ex = Fails([A(1), B(1), Tensor.FromValues("c", TensorDataType.Fp32, [1], new float[1].AsSpan())]);

        Assert.Contains("unknown input 'c'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'a', 'b'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model 'm' version 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingInput_NamesInput()
    {
        var ex = Fails([A(1)]);

        Assert.Contains("missing input 'b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateInput_NamesInput()
    {
        var ex = Fails([A(1), B(1), A(1)]);

        Assert.Contains("'a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("more than once", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WrongDatatype_NamesInputAndBothTypes()
    {
        var ex = Fails([A(1), Tensor.FromValues("b", TensorDataType.Int32, [1], new int[1].AsSpan())]);

        Assert.Contains("'b'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("INT32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("INT64", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 1, 3 })]
    [InlineData(new long[] { 2 })]
    [InlineData(new long[] { 1, 2, 1 })]
    public void Validate_WrongShape_NamesInputAndBothShapes(long[] shape)
    {
        var count = shape.Aggregate(1L, (x, y) => x * y);
        var ex = Fails([Tensor.FromValues("a", TensorDataType.Fp32, shape, new float[count].AsSpan()), B(1)]);

        Assert.Contains("'a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"[{string.Join(',', shape)}]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[-1,2]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BatchOverMaxBatchSize_NamesInputAndLimit()
    {
        var ex = Fails([A(5), B(5)], maxBatchSize: 4);

        Assert.Contains("'a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("max_batch_size 4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BatchAtMaxBatchSize_Accepted()
    {
        Validate([A(4), B(4)], maxBatchSize: 4);
    }

    [Fact]
    public void Validate_NoBatching_AnyFirstDimensionAccepted()
    {
        Validate([A(100), B(3)], maxBatchSize: 0);
    }

    [Fact]
    public void Validate_InputsDisagreeOnBatchSize_NamesInput()
    {
        var ex = Fails([A(2), B(3)]);

        Assert.Contains("'b' has 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("batch size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownRequestedOutput_NamesOutputAndExisting()
    {
        var ex = Fails([A(1), B(1)], ["y", "w"]);

        Assert.Contains("unknown output 'w'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'y', 'z'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateRequestedOutput_NamesOutput()
    {
        var ex = Fails([A(1), B(1)], ["y", "z", "y"]);

        Assert.Contains("output 'y'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("more than once", ex.Message, StringComparison.Ordinal);
    }
}
