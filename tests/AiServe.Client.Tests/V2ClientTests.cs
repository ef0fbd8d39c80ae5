using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AiServe.Client.Tests;

public sealed class V2ClientTests : IAsyncLifetime
{
    private FakeV2Server _server = null!;

    private V2Client Client => _server.Client;

    public async Task InitializeAsync() => _server = await FakeV2Server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Health_LiveAndNotReadyServer_KeysOnStatus()
    {
        Assert.True(await Client.ServerLiveAsync());
        Assert.False(await Client.ServerReadyAsync());
    }

    [Fact]
    public async Task ServerMetadataAsync_ReadsNameVersionExtensions()
    {
        var metadata = await Client.ServerMetadataAsync();

        Assert.Equal("fake", metadata.Name);
        Assert.Equal("0.1", metadata.Version);
        Assert.Equal(["binary_tensor_data"], metadata.Extensions);
    }

    [Fact]
    public async Task ModelMetadataAsync_WithVersion_ReadsTensors()
    {
        var metadata = await Client.ModelMetadataAsync("echo", "1");

        var input = Assert.Single(metadata.Inputs);
        Assert.Equal(("x", "FP32"), (input.Name, input.Datatype));
        Assert.Equal([-1L, 4L], input.Shape);
    }

    [Theory]
    [InlineData("{}", "missing required properties including: 'name', 'inputs', 'outputs'")]
    [InlineData("""{"name":"m","inputs":null,"outputs":[]}""", "'Inputs' on type 'AiServe.Client.ModelMetadata' doesn't allow null")]
    [InlineData("""{"name":"m","inputs":[null],"outputs":[]}""", "'inputs' holds null")]
    [InlineData("""{"name":"m","inputs":[{"name":"x","datatype":"FP32"}],"outputs":[]}""", "missing required properties including: 'shape'")]
    [InlineData("""{"name":"m","inputs":[{"datatype":"FP32","shape":[1]}],"outputs":[]}""", "missing required properties including: 'name'")]
    [InlineData("""{"name":"m","inputs":[{"name":null,"datatype":"FP32","shape":[1]}],"outputs":[]}""", "'Name' on type 'AiServe.Client.TensorMetadata' doesn't allow null")]
    public async Task ModelMetadataAsync_FieldMissingOrNull_ThrowsNamingIt(string metadata, string message)
    {
        _server.CannedMetadata = metadata;

        var ex = await Assert.ThrowsAsync<V2ClientException>(() => Client.ModelMetadataAsync("capture"));

        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelMetadataAsync_NoVersionsOrPlatform_Accepted()
    {
        _server.CannedMetadata = """{"name":"m","inputs":[],"outputs":[]}""";

        var metadata = await Client.ModelMetadataAsync("capture");

        Assert.Equal(("m", null, null), (metadata.Name, metadata.Versions, metadata.Platform));
    }

    [Fact]
    public async Task ModelReadyAsync_ReadyLoadingUnknown_TrueFalseThrows()
    {
        Assert.True(await Client.ModelReadyAsync("echo"));
        Assert.False(await Client.ModelReadyAsync("loading", "2"));
        var ex = await Assert.ThrowsAsync<V2ClientException>(() => Client.ModelReadyAsync("nope"));
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InferAsync_EchoRoundTrip_KeepsEveryTypeExactly(bool binary)
    {
        var request = new InferRequest(
            InferTensor.Fp32("f", [2, 2], [0.5f, -1.25f, 3.4028235E+38f, 1e-7f]),
            InferTensor.Int64("l", [3], [long.MinValue, 9_007_199_254_740_993, -1]),
            InferTensor.Bool("b", [1, 3], [true, false, true]),
            InferTensor.Strings("s", [2], ["héllo wörld", ""]),
            InferTensor.Fp64("d", [1], [Math.PI]),
            InferTensor.Int32("i", [2], [int.MaxValue, -7]),
            InferTensor.UInt8("u", [2], [0, 255]))
        { Id = "req-7" };
        var options = binary ? InferOptions.Binary : InferOptions.Json;

        var response = await Client.InferAsync("echo", "3", request, options);

        Assert.Equal(("echo", "3", "req-7"), (response.ModelName, response.ModelVersion, response.Id));
        Assert.Equal([0.5f, -1.25f, 3.4028235E+38f, 1e-7f], response["f"].GetData<float>());
        Assert.Equal([2L, 2L], response["f"].Shape);
        Assert.Equal([long.MinValue, 9_007_199_254_740_993, -1], response["l"].GetData<long>());
        Assert.Equal([true, false, true], response["b"].GetData<bool>());
        Assert.Equal(["héllo wörld", ""], response["s"].GetStrings());
        Assert.Equal([Math.PI], response["d"].GetData<double>());
        Assert.Equal([int.MaxValue, -7], response["i"].GetData<int>());
        Assert.Equal(new byte[] { 0, 255 }, response["u"].GetData<byte>());
    }

    [Fact]
    public async Task InferAsync_BinaryFp16_RoundTrips()
    {
        var request = new InferRequest(InferTensor.Fp16("h", [2], [(Half)1.5, (Half)(-2)]));

        var response = await Client.InferAsync("echo", null, request, InferOptions.Binary);

        Assert.Equal([(Half)1.5, (Half)(-2)], response["h"].GetData<Half>());
    }

    [Fact]
    public async Task Encode_Json_WritesDataAndRequestedOutputs()
    {
        var request = new InferRequest(
            InferTensor.Fp32("x", [1, 2], [1.5f, -2f]),
            InferTensor.Bool("m", [2], [true, false]),
            InferTensor.Strings("t", [1], ["hi"]));
        request.Outputs.Add(new RequestedOutput("probabilities"));
        request.Outputs.Add(new RequestedOutput("label", BinaryData: true));
        request.Parameters["priority"] = 1;

        await Client.InferAsync("capture", null, request, InferOptions.Json);

        var (body, headerLength, contentType) = _server.Captured!.Value;
        Assert.Null(headerLength);
        Assert.Equal("application/json", contentType);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("parameters").GetProperty("priority").GetInt32());
        Assert.False(root.GetProperty("parameters").TryGetProperty("binary_data_output", out _));
        var inputs = root.GetProperty("inputs");
        Assert.Equal("""{"name":"x","datatype":"FP32","shape":[1,2],"data":[1.5,-2]}""", inputs[0].GetRawText());
        Assert.Equal("""{"name":"m","datatype":"BOOL","shape":[2],"data":[true,false]}""", inputs[1].GetRawText());
        Assert.Equal("""{"name":"t","datatype":"BYTES","shape":[1],"data":["hi"]}""", inputs[2].GetRawText());
        var outputs = root.GetProperty("outputs");
        Assert.False(outputs[0].GetProperty("parameters").GetProperty("binary_data").GetBoolean());
        Assert.True(outputs[1].GetProperty("parameters").GetProperty("binary_data").GetBoolean());
    }

    [Fact]
    public async Task Encode_Binary_WritesHeaderLengthSizesAndLittleEndianBytes()
    {
        var request = new InferRequest(
            InferTensor.Fp32("x", [2], [1.0f, -2.5f]),
            InferTensor.Int64("n", [1], [258]),
            InferTensor.Bool("m", [2], [false, true]),
            InferTensor.Bytes("t", [2], [[0xFF, 0x00], []]));

        await Client.InferAsync("capture", null, request, InferOptions.Binary);

        var (body, headerLength, contentType) = _server.Captured!.Value;
        Assert.Equal("application/octet-stream", contentType);
        var jsonLength = int.Parse(headerLength!, System.Globalization.CultureInfo.InvariantCulture);
        using var json = JsonDocument.Parse(body.AsMemory(0, jsonLength));
        var root = json.RootElement;
        Assert.True(root.GetProperty("parameters").GetProperty("binary_data_output").GetBoolean());
        var sizes = root.GetProperty("inputs").EnumerateArray()
            .Select(i => (i.TryGetProperty("data", out _), i.GetProperty("parameters").GetProperty("binary_data_size").GetInt32()))
            .ToArray();
        Assert.Equal([(false, 8), (false, 8), (false, 2), (false, 4 + 2 + 4)], sizes);

        var expected = new List<byte>();
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0 }); // 1.0f, -2.5f
        expected.AddRange(new byte[] { 0x02, 0x01, 0, 0, 0, 0, 0, 0 });                 // 258L
        expected.AddRange(new byte[] { 0, 1 });                                          // false, true
        expected.AddRange(new byte[] { 2, 0, 0, 0, 0xFF, 0x00, 0, 0, 0, 0 });           // [FF 00], []
        Assert.Equal(expected.ToArray(), body[jsonLength..]);
    }

    [Fact]
    public async Task Decode_JsonResponse_NestedDataNaNAndTypes()
    {
        _server.CannedBody = ("""
            {"model_name":"capture","model_version":"3","id":"a","outputs":[
              {"name":"p","datatype":"FP32","shape":[2,2],"data":[[0.5,1.5],[-2,"NaN"]]},
              {"name":"l","datatype":"INT64","shape":[2],"data":[9007199254740993,-1]},
              {"name":"b","datatype":"BOOL","shape":[3],"data":[true,false,true]},
              {"name":"s","datatype":"BYTES","shape":[2],"data":["h\u00e9llo",""]}]}
            """u8.ToArray(), null);

        var response = await Client.InferAsync("capture", null, new InferRequest(InferTensor.Fp32("x", [1], [0f])));

        Assert.Equal(("capture", "3", "a"), (response.ModelName, response.ModelVersion, response.Id));
        var p = response["p"].GetData<float>();
        Assert.Equal([0.5f, 1.5f, -2f], p[..3]);
        Assert.True(float.IsNaN(p[3]));
        Assert.Equal([9_007_199_254_740_993, -1], response["l"].GetData<long>());
        Assert.Equal([true, false, true], response["b"].GetData<bool>());
        Assert.Equal(["héllo", ""], response["s"].GetStrings());
    }

    [Fact]
    public async Task Decode_BinaryResponse_MixedJsonAndBinaryOutputs()
    {
        var header = Encoding.UTF8.GetBytes("""
            {"model_name":"capture","outputs":[
              {"name":"label","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":16}},
              {"name":"json","datatype":"INT32","shape":[1],"data":[5]},
              {"name":"prob","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":8}},
              {"name":"flag","datatype":"BOOL","shape":[2],"parameters":{"binary_data_size":2}},
              {"name":"text","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]}
            """);
        var binary = new byte[16 + 8 + 2 + 11];
        BinaryPrimitives.WriteInt64LittleEndian(binary.AsSpan(0), 2);
        BinaryPrimitives.WriteInt64LittleEndian(binary.AsSpan(8), -3);
        BinaryPrimitives.WriteSingleLittleEndian(binary.AsSpan(16), 0.25f);
        BinaryPrimitives.WriteSingleLittleEndian(binary.AsSpan(20), 0.75f);
        binary[24] = 1;
        binary[25] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(binary.AsSpan(26), 3);
        "abc"u8.CopyTo(binary.AsSpan(30));
        BinaryPrimitives.WriteUInt32LittleEndian(binary.AsSpan(33), 0);
        _server.CannedBody = ([.. header, .. binary], header.Length);

        var response = await Client.InferAsync("capture", null, new InferRequest(InferTensor.Fp32("x", [1], [0f])), InferOptions.Binary);

        Assert.Equal([2L, -3L], response["label"].GetData<long>());
        Assert.Equal([5], response["json"].GetData<int>());
        Assert.Equal([0.25f, 0.75f], response["prob"].GetData<float>());
        Assert.Equal([1L, 2L], response["prob"].Shape);
        Assert.Equal([true, false], response["flag"].GetData<bool>());
        Assert.Equal(["abc", ""], response["text"].GetStrings());
    }

    [Fact]
    public async Task Decode_BinarySizeBeyondBody_ThrowsClientException()
    {
        var header = Encoding.UTF8.GetBytes("""{"model_name":"capture","outputs":[{"name":"p","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}""");
        _server.CannedBody = ([.. header, 1, 2, 3], header.Length);

        var ex = await Assert.ThrowsAsync<V2ClientException>(() => Client.InferAsync("capture", null, new InferRequest(InferTensor.Fp32("x", [1], [0f]))));

        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Contains("binary_data_size", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"p","datatype":"FP32","shape":["1",3],"data":[1,2,3]}""", "dimension 0 is a string, not a non-negative integer")]
    [InlineData("""{"name":"p","datatype":"FP32","shape":[null],"data":[]}""", "dimension 0 is null, not a non-negative integer")]
    [InlineData("""{"name":"p","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":"4"}}""", "binary_data_size \"4\", which is not a non-negative integer")]
    [InlineData("1", "an element of 'outputs' is 1, not a JSON object")]
    [InlineData("""{"name":"p","datatype":"FP32","shape":[100000,100000,100000],"data":[1]}""", "more than the 2147483591 elements a tensor can hold")]
    [InlineData("""{"name":"p","datatype":"FP32","shape":[2000000000],"data":[1]}""", "a shape of 2000000000 elements but its data holds 1")]
    [InlineData("""{"name":"p","datatype":"BYTES","shape":[2000000000],"parameters":{"binary_data_size":0}}""", "has 0 bytes, too few for 2000000000 elements")]
    [InlineData("""{"name":"p","datatype":"BYTES","shape":[1],"data":[null]}""", "a BYTES element is null, not a string")]
    public async Task Decode_MalformedOutput_ThrowsClientExceptionNamingTheProblem(string output, string message)
    {
        _server.CannedBody = (Encoding.UTF8.GetBytes($$"""{"model_name":"capture","outputs":[{{output}}]}"""), null);

        var ex = await Assert.ThrowsAsync<V2ClientException>(() => Client.InferAsync("capture", null, new InferRequest(InferTensor.Fp32("x", [1], [0f]))));

        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferAsync_UnknownModel_ThrowsWithStatusAndServerMessage()
    {
        var ex = await Assert.ThrowsAsync<V2ClientException>(() =>
            Client.InferAsync("nope", null, new InferRequest(InferTensor.Fp32("x", [1], [0f]))));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("unknown model 'nope'", ex.Message);
    }

    [Fact]
    public async Task InferAsync_PlainTextError_MessageIsStatusRequestAndBodyText()
    {
        var ex = await Assert.ThrowsAsync<V2ClientException>(() =>
            Client.InferAsync("broken", null, new InferRequest(InferTensor.Fp32("x", [1], [0f]))));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal($"500 Internal Server Error from POST {_server.Http.BaseAddress}v2/models/broken/infer: upstream exploded", ex.Message);
    }

    [Fact]
    public async Task ModelMetadataAsync_UnknownModel_ThrowsNotFound()
    {
        var ex = await Assert.ThrowsAsync<V2ClientException>(() => Client.ModelMetadataAsync("nope"));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("unknown model 'nope'", ex.Message);
    }

    [Fact]
    public async Task InferAsync_PreEncodedRequestSentConcurrently_AllAnswersEqual()
    {
        var encoded = EncodedInferRequest.Encode(new InferRequest(InferTensor.Fp32("x", [1, 4], [1, 2, 3, 4])), InferOptions.Binary);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Client.InferAsync("echo", null, encoded)));

        Assert.All(responses, r => Assert.Equal([1f, 2f, 3f, 4f], r["x"].GetData<float>()));
    }
}
