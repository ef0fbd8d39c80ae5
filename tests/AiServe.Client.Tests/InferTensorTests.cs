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
    public void Constructor_ShapePastOneArray_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => InferTensor.Fp32("x", [100000, 100000, 100000], []));
        Assert.Contains("more than the 2147483591 elements", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { }, true, 1)]
    [InlineData(new long[] { 2, 3 }, true, 6)]
    [InlineData(new long[] { 100000, 100000, 100000, 0 }, true, 0)]
    [InlineData(new long[] { 2147483591 }, true, 2147483591)]
    [InlineData(new long[] { 2147483592 }, false, 0)]
    [InlineData(new long[] { 100000, 100000, 100000 }, false, 0)]
    [InlineData(new long[] { -1, 4 }, false, 0)]
    public void TryGetElementCount_Shapes_CountWhenOneArrayHoldsIt(long[] shape, bool fits, int count)
    {
        Assert.Equal((fits, count), (InferTensor.TryGetElementCount(shape, out var n), n));
    }

    [Fact]
    public void Constructor_ArrayTypeDoesNotMatchDatatype_Throws()
    {
        Assert.Throws<ArgumentException>(() => new InferTensor("x", V2DataTypes.Int64, [1], new int[1]));
        Assert.Throws<ArgumentException>(() => new InferTensor("x", "FLOAT", [1], new float[1]));
    }

    [Fact]
    public void Bytes_NullElement_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => InferTensor.Bytes("b", [2], [[1], null!]));
        Assert.Contains("element 1 of BYTES tensor 'b' is null", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => InferTensor.Strings("s", [2], [null!, "x"]));
        Assert.Contains("element 0 of BYTES tensor 's' is null", ex.Message, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("1.0039062500009095", (ushort)0x3F81)] // just above a BF16 halfway point, just below it as a float
    [InlineData("1.00390625", (ushort)0x3F80)] // exactly halfway: to even
    public void FromJson_Bf16_RoundedOnceFromTheDecimal(string value, ushort expected)
    {
        var request = InferRequest.FromJson(System.Text.Encoding.UTF8.GetBytes(
            $$"""{"inputs":[{"name":"x","datatype":"BF16","shape":[1],"data":[{{value}}]}]}"""));

        Assert.Equal(expected, request.Inputs[0].GetData<ushort>()[0]);
    }

    [Fact]
    public void FromJson_NoInputs_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => InferRequest.FromJson("""{"inputs":[]}"""u8));
        Assert.Throws<FormatException>(() => InferRequest.FromJson("""[1]"""u8));
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[5]}""", "an element of 'outputs' is 5, not a JSON object")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":[null]}]}""", "a BYTES element is null, not a string")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[true],"data":[1]}]}""", "dimension 0 is true, not a non-negative integer")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[100000,100000,100000],"data":[1]}]}""", "more than the 2147483591 elements")]
    [InlineData("""{"inputs":[[]]}""", "an element of 'inputs' is an array, not a JSON object")]
    public void FromJson_Malformed_ThrowsFormatExceptionNamingTheProblem(string json, string message)
    {
        var ex = Assert.Throws<FormatException>(() => InferRequest.FromJson(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[100000000],"data":[1]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"BYTES","shape":[100000000],"parameters":{"binary_data_size":0}}]}""")]
    public void FromJson_ShapeFarBeyondItsData_RefusedWithoutAllocatingForTheShape(string json)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        Assert.Throws<FormatException>(() => InferRequest.FromJson(body));

        // Decoding runs on this thread, so its allocations are this thread's: a few KB, not the 0.8-1.6 GB that
        // 100 M declared elements would take.
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<FormatException>(() => InferRequest.FromJson(body));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1_000_000, $"{allocated} bytes allocated");
    }
}
