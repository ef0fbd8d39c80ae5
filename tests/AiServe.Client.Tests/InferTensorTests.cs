namespace AiServe.Client.Tests;

public sealed class InferTensorTests
{
    [Fact]
    public void Constructor_CountDoesNotMatchShape_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => InferTensor.Fp32("x", [2, 2], [1f, 2f, 3f]));
        Assert.Contains("4 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ArrayTypeDoesNotMatchDatatype_Throws()
    {
        Assert.Throws<ArgumentException>(() => new InferTensor("x", V2DataTypes.Int64, [1], new int[1]));
        Assert.Throws<ArgumentException>(() => new InferTensor("x", "FLOAT", [1], new float[1]));
    }

    [Fact]
    public void GetData_WrongType_ThrowsNamingDatatype()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => InferTensor.Int64("l", [1], [1]).GetData<float>());
        Assert.Contains("INT64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetData_SameSizeOtherSignedness_Throws()
    {
        // The CLR would let long[] pass as ulong[]; the accessor must not reinterpret the bits.
        Assert.Throws<InvalidOperationException>(() => InferTensor.Int64("l", [1], [-1]).GetData<ulong>());
        Assert.Throws<InvalidOperationException>(() => InferTensor.Int32("i", [1], [-1]).GetData<uint>());
    }

    [Fact]
    public void Encode_JsonSignedIntegers_WritesSignedValues()
    {
        var request = new InferRequest(InferTensor.Int64("l", [1], [-1]), InferTensor.Int32("i", [1], [-2]));

        var body = System.Text.Encoding.UTF8.GetString(EncodedInferRequest.Encode(request).Body.Span);

        Assert.Contains("\"data\":[-1]", body, StringComparison.Ordinal);
        Assert.Contains("\"data\":[-2]", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_JsonFp16_ThrowsAskingForBinary()
    {
        var request = new InferRequest(InferTensor.Fp16("h", [1], [(Half)1]));

        var ex = Assert.Throws<ArgumentException>(() => EncodedInferRequest.Encode(request, InferOptions.Json));
        Assert.Contains("binary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_JsonInvalidUtf8Bytes_ThrowsAskingForBinary()
    {
        var request = new InferRequest(InferTensor.Bytes("b", [1], [[0xFF, 0xFE]]));

        var ex = Assert.Throws<ArgumentException>(() => EncodedInferRequest.Encode(request, InferOptions.Json));
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_RequestWithNestedData_DecodesInputsAndOutputs()
    {
        var request = InferRequest.FromJson("""
            {"id":"r","inputs":[{"name":"input","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4]]}],
             "outputs":[{"name":"label","parameters":{"binary_data":true}}]}
            """u8);

        Assert.Equal("r", request.Id);
        Assert.Equal([1f, 2f, 3f, 4f], request.Inputs[0].GetData<float>());
        Assert.Equal(new RequestedOutput("label", true), Assert.Single(request.Outputs));
    }

    [Fact]
    public void FromJson_NoInputs_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => InferRequest.FromJson("""{"inputs":[]}"""u8));
        Assert.Throws<FormatException>(() => InferRequest.FromJson("""[1]"""u8));
    }
}
