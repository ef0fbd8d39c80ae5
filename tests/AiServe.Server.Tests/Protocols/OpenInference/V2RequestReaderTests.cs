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

    [Theory]
    [InlineData("""{"inputs": [{"name": "a", "shape": [1152921504606846976, 4], "datatype": "FP32", "parameters": {"binary_data_size": 0}}]}""", 0, "needs 18446744073709551616 bytes of binary data, got 0")]
    [InlineData("""{"inputs": [{"name": "a", "shape": [4611686018427387905], "datatype": "INT32", "parameters": {"binary_data_size": 4}}]}""", 4, "needs 18446744073709551620 bytes of binary data, got 4")]
    public void Read_BinaryShapeWhoseBytesPassALong_NamedNotWrapped(string json, int binaryBytes, string message)
    {
        // The element count times the element size wrapped (to 0, or to the 4 bytes given) and then threw: a 500.
        var header = System.Text.Encoding.UTF8.GetBytes(json);
        var body = header.Concat(new byte[binaryBytes]).ToArray();

        var ex = Assert.Throws<InferenceException>(() => V2RequestReader.Read(body, header.Length));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "data": [1, 2]}], "id": }""", 0)]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [2], \"data\": [1, 2]}],\n  \"id\": }", 1)]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [2], \"data\": [1,\n 2]}], \"id\": }", 1)]
    public void Read_MalformedAfterScannedData_PositionIsWhereItIsInTheBody(string json, int line)
    {
        // The reader is rebuilt past scanned numbers; its own positions would count from there.
        var lineStart = json.LastIndexOf('\n') + 1;
        var column = json.LastIndexOf('}') - (line == 0 ? 0 : lineStart);

        var ex = Assert.Throws<InferenceException>(() => ReadJson(json));

        Assert.Contains($"LineNumber: {line} | BytePositionInLine: {column}.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BinaryBoolOtherThanZeroOrOne_Refused()
    {
        var header = """{"inputs": [{"name": "a", "shape": [3], "datatype": "BOOL", "parameters": {"binary_data_size": 3}}]}"""u8.ToArray();

        var ex = Assert.Throws<InferenceException>(() => V2RequestReader.Read(header.Concat(new byte[] { 1, 0, 2 }).ToArray(), header.Length));

        Assert.Contains("BOOL input 'a' has byte 2 at element 2; a BOOL is 0 or 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal([1, 0, 1], V2RequestReader.Read(header.Concat(new byte[] { 1, 0, 1 }).ToArray(), header.Length).Request.Inputs[0].Data.ToArray());
    }

    private static V2InferRequest ReadJson(string json) => V2RequestReader.Read(System.Text.Encoding.UTF8.GetBytes(json), jsonLength: null);

    [Fact]
    public void Read_FieldsAfterScannedData_AreStillRead()
    {
        // The numbers are scanned past the token reader; everything after them must still be read.
        var request = ReadJson("""
            {"inputs": [
                {"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [[1.5, -2], [3e1, 0.25]], "parameters": {"note": 1}},
                {"name": "b", "shape": [3], "datatype": "INT64", "data": [1, 2, 3]}
             ],
             "id": "after-data",
             "outputs": [{"name": "y"}],
             "parameters": {"priority": 2}}
            """);

        Assert.Equal("after-data", request.Request.Id);
        Assert.Equal(2, request.Priority);
        Assert.Equal(["y"], request.Request.RequestedOutputs!);
        Assert.Equal([1.5f, -2f, 30f, 0.25f], request.Request.Inputs[0].AsSpan<float>().ToArray());
        Assert.Equal([1L, 2, 3], request.Request.Inputs[1].AsSpan<long>().ToArray());
    }

    [Fact]
    public void Read_DataBeforeItsDatatype_IsDecodedWhenTheFieldsArrive()
    {
        var request = ReadJson("""{"inputs": [{"data": [1, 2], "name": "a", "shape": [2], "datatype": "FP64"}, {"name": "b", "datatype": "FP32", "shape": [1], "data": [7]}]}""");

        Assert.Equal([1.0, 2.0], request.Request.Inputs[0].AsSpan<double>().ToArray());
        Assert.Equal([7f], request.Request.Inputs[1].AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "data": [1, 2]} "x"]}""", "malformed JSON")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "data": [1, 2]}], "id": }""", "malformed JSON")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "data": [1, 2]]}""", "malformed JSON")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [3], "data": [1, 2]}]}""", "needs 3 elements, but its data holds 2")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "UINT8", "shape": [2], "data": [1, 256]}]}""", "256 is not a valid UINT8 value")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "data": [1, "2"]}]}""", "must hold numbers, found a string")]
    public void Read_MistakesAroundScannedData_AreNamed(string json, string message)
    {
        var ex = Assert.Throws<InferenceException>(() => ReadJson(json));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
