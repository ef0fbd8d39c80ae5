using AiServe.Core.Inference;
using AiServe.Server.Protocols.OpenInference;

namespace AiServe.Server.Tests.Protocols.OpenInference;

public sealed class V2RequestReaderTests
{
    private static ModelSignature Single(TensorDataType type, params long[] shape) =>
        new([new TensorSpec("x", type, shape)], [new TensorSpec("y", type, shape)]);

    [Fact]
    public void ReadRaw_OneVariableDimension_FilledFromBodyLength()
    {
        var request = V2RequestReader.ReadRaw(new byte[12], Single(TensorDataType.Fp32, -1, -1), maxBatchSize: 8);

        Assert.Equal([1L, 3], request.Request.Inputs[0].Shape);
        Assert.True(request.RawMode);
    }

    [Fact]
    public void ReadRaw_BodyNotWholeElements_InvalidArgument()
    {
        var ex = Assert.Throws<InferenceException>(() => V2RequestReader.ReadRaw(new byte[10], Single(TensorDataType.Fp32, -1, -1), maxBatchSize: 8));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("not a whole number of FP32 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRaw_TwoVariableDimensions_InvalidArgument()
    {
        var ex = Assert.Throws<InferenceException>(() => V2RequestReader.ReadRaw(new byte[12], Single(TensorDataType.Fp32, -1, -1), maxBatchSize: 0));

        Assert.Contains("at most one variable dimension", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRaw_BytesInput_BodyIsOneLengthPrefixedElement()
    {
        byte[] body = [3, 0, 0, 0, (byte)'a', (byte)'b', (byte)'c'];

        var request = V2RequestReader.ReadRaw(body, Single(TensorDataType.Bytes, -1), maxBatchSize: 0);

        Assert.Equal([1L], request.Request.Inputs[0].Shape);
        Assert.Equal("abc"u8.ToArray(), request.Request.Inputs[0].Elements![0].ToArray());
    }
}
