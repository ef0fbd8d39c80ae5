using AiServe.Core.Inference;

namespace AiServe.Onnx.Tests;

public sealed class OutputLayoutTests
{
    [Fact]
    public void Of_FixedButForTheBatch_GivesBytesPerRowAndTheBatchsShape()
    {
        var layout = OutputLayout.Of(new TensorSpec("p", TensorDataType.Fp32, [-1, 3, 2]));

        Assert.NotNull(layout);
        Assert.Equal(24, layout.BytesPerRow);
        Assert.Equal([5L, 3, 2], layout.ShapeFor(5));
        Assert.Equal([7L, 3, 2], layout.ShapeFor(7)); // a fresh array each time
    }

    [Fact]
    public void Of_FixedFirstDimension_KeepsIt()
    {
        var layout = OutputLayout.Of(new TensorSpec("p", TensorDataType.Int64, [2, 4]));

        Assert.NotNull(layout);
        Assert.Equal(32, layout.BytesPerRow);
        Assert.Equal([2L, 4], layout.ShapeFor(5));
    }

    [Theory]
    [InlineData(TensorDataType.Bytes, new long[] { -1, 3 })]
    [InlineData(TensorDataType.Fp32, new long[] { -1, -1 })]
    [InlineData(TensorDataType.Fp32, new long[] { -1, 0 })]
    [InlineData(TensorDataType.Fp32, new long[] { 0, 3 })]
    [InlineData(TensorDataType.Fp32, new long[0])]
    public void Of_OutputsTheRuntimeMustAllocate_AreNull(TensorDataType dataType, long[] shape) =>
        Assert.Null(OutputLayout.Of(new TensorSpec("o", dataType, shape)));
}
