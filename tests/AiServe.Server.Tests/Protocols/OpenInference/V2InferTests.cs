using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using AiServe.Core.Inference;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols.OpenInference;

public sealed class V2InferTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Infer_IrisFixtureAsJson_MatchesScikitLearn(int version)
    {
        var client = await factory.StartAsync();
        var fixture = ModelFixture.Load("iris", $"v{version}.json");

        var (status, body) = await V2Http.PostJsonAsync(client, $"/v2/models/iris/versions/{version}/infer", $$"""{"inputs": {{fixture.InputsAsV2Json()}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("iris", body.GetProperty("model_name").GetString());
        Assert.Equal(version.ToString(), body.GetProperty("model_version").GetString());
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal(fixture.Output("label").AsSpan<long>().ToArray(), outputs["label"].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([30L], outputs["label"].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("INT64", outputs["label"].GetProperty("datatype").GetString());
        var expected = fixture.Output("probabilities").AsSpan<float>().ToArray();
        var actual = outputs["probabilities"].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public async Task Infer_NoVersion_UsesHighestReadyVersion()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2", body.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("/v2/models/iris/infer?version=1")]
    [InlineData("/v2/models/iris/infer?label=stable")]
    [InlineData("/v2/models/iris/versions/2/infer?version=1")]
    [InlineData("/v2/models/iris/labels/canary/infer?version=1&label=stable")]
    public async Task Infer_VersionOrLabelInQueryString_IsNotAVersionSelector(string url)
    {
        // Only the route selects a version (V2 has no such query parameters): version 2 answers every URL here.
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url,
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2", body.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("/v2/models/iris?version=1", "/v2/models/iris")]
    [InlineData("/v2/models/iris/ready?version=99", "/v2/models/iris/ready")]
    [InlineData("/v1/models/iris?version=1", "/v1/models/iris")]
    [InlineData("/v1/models/iris/metadata?label=stable", "/v1/models/iris/metadata")]
    public async Task MetadataAndStatus_VersionInQueryString_AnswerAsWithout(string withQuery, string without)
    {
        var client = await factory.StartAsync();

        using var expected = await client.GetAsync(without);
        using var actual = await client.GetAsync(withQuery);

        Assert.Equal(HttpStatusCode.OK, actual.StatusCode);
        Assert.Equal(await expected.Content.ReadAsStringAsync(), await actual.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Infer_NestedData_EqualsFlatData()
    {
        var client = await factory.StartAsync();

        var (_, flat) = await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer",
            """{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}""");
        var (status, nested) = await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer",
            """{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(flat.GetProperty("outputs").GetRawText(), nested.GetProperty("outputs").GetRawText());
    }

    [Fact]
    public async Task Infer_IdAndParameters_IdEchoedParametersAccepted()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer", """
            {"id": "req-42", "parameters": {"custom": "x", "n": 3, "nested": {"a": [1]}},
             "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"foo": true}, "data": [5.1, 3.5, 1.4, 0.2]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("req-42", body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Infer_NoId_ResponseHasNoId()
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

        Assert.False(body.TryGetProperty("id", out _));
        Assert.Equal(["model_name", "model_version", "outputs"], body.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Infer_RequestedOutputs_ReturnsOnlyThoseInRequestedOrder()
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer", """
            {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}],
             "outputs": [{"name": "probabilities"}]}
            """);

        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("probabilities", output.GetProperty("name").GetString());
        Assert.Equal([1L, 3], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public async Task Infer_EmptyOutputsList_ReturnsEveryOutput()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}], "outputs": []}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["label", "probabilities"], body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Infer_DataBeforeShapeAndDatatype_IsDecoded()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"data": [5.1, 3.5, 1.4, 0.2], "name": "input", "datatype": "FP32", "shape": [1, 4]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("outputs")[0].GetProperty("data")[0].GetInt64());
    }

    [Fact]
    public async Task Infer_FashionMnistFixture_ClassifiesAllEight()
    {
        var client = await factory.StartAsync();
        var fixture = ModelFixture.Load("fashion-mnist", "v1.json");

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/fashion-mnist/infer", $$"""{"inputs": {{fixture.InputsAsV2Json()}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var probabilities = body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = fixture.Output("probabilities").AsSpan<float>().ToArray();
        Assert.All(expected.Zip(probabilities), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4));
    }

    [Fact]
    public async Task Infer_BinaryInputAndPerOutputBinary_RoundTripsBytes()
    {
        var client = await factory.StartAsync();
        float[] input = [5.1f, 3.5f, 1.4f, 0.2f, 6.7f, 3.0f, 5.2f, 2.3f];
        var bytes = MemoryMarshal.AsBytes(input.AsSpan()).ToArray();
        var json = $$$"""
            {"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "parameters": {"binary_data_size": {{{bytes.Length}}}}}],
             "outputs": [{"name": "probabilities", "parameters": {"binary_data": true}}, {"name": "label", "parameters": {"binary_data": false}}]}
            """;

        using var response = await V2Http.PostBinaryAsync(client, "/v2/models/iris/versions/1/infer", json, bytes);
        var (header, binary) = await V2Http.ReadBinaryResponse(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = header.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(24, outputs[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.False(outputs[0].TryGetProperty("data", out _));
        Assert.Equal([0L, 2], outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(24, binary.Length);
        var probabilities = MemoryMarshal.Cast<byte, float>(binary).ToArray();
        Assert.True(probabilities[0] > 0.9f && probabilities[5] > 0.9f);
        Assert.Equal(1.0f, probabilities[0] + probabilities[1] + probabilities[2], 3);
    }

    [Fact]
    public async Task Infer_RequestLevelBinaryDataOutput_AllOutputsBinaryUnlessOutputSaysNo()
    {
        var client = await factory.StartAsync();

        using var content = new StringContent("""
            {"parameters": {"binary_data_output": true},
             "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}
            """);
        using var response = await client.PostAsync("/v2/models/iris/versions/1/infer", content);
        var (header, binary) = await V2Http.ReadBinaryResponse(response);

        Assert.True(response.Headers.Contains(V2Http.HeaderLength) || response.Content.Headers.Contains(V2Http.HeaderLength));
        var sizes = header.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("parameters").GetProperty("binary_data_size").GetInt32()).ToArray();
        Assert.Equal([8, 12], sizes);
        Assert.Equal(20, binary.Length);
        Assert.Equal(0L, BitConverter.ToInt64(binary, 0));
    }

    [Fact]
    public async Task Infer_RawBinaryBody_RunsOnOnlyInputAndReturnsBinary()
    {
        var client = await factory.StartAsync();
        float[] input = [6.7f, 3.0f, 5.2f, 2.3f];

        using var response = await V2Http.PostBinaryAsync(client, "/v2/models/iris/versions/1/infer", "", MemoryMarshal.AsBytes(input.AsSpan()).ToArray(), headerLength: 0);
        var (header, binary) = await V2Http.ReadBinaryResponse(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = header.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal([1L], outputs[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(8 + 12, binary.Length);
        Assert.Equal(2L, BitConverter.ToInt64(binary, 0));
    }

    [Fact]
    public async Task Infer_RawBodyOfWrongSize_Returns400()
    {
        var client = await factory.StartAsync();

        using var response = await V2Http.PostBinaryAsync(client, "/v2/models/iris/infer", "", new byte[10], headerLength: 0);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("needs 16 bytes of binary data, got 10", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ContentTypeIsNotRequired()
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent("""{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}"""u8.ToArray());

        using var response = await client.PostAsync("/v2/models/iris/infer", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("stable", "1")]
    [InlineData("canary", "2")]
    public async Task Infer_Label_RunsTheLabelledVersion(string label, string version)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, $"/v2/models/iris/labels/{label}/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(version, body.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task Infer_UnknownLabel_Returns404()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/labels/beta/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("unknown label 'beta' of model 'iris'", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Infer_CompressedRequestBody_Decompressed(string encoding)
    {
        var client = await factory.StartAsync();
        var json = """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [6.7, 3.0, 5.2, 2.3]}]}"""u8.ToArray();
        using var compressed = new MemoryStream();
        using (Stream zip = encoding == "gzip"
            ? new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)
            : new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(json);
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentEncoding.Add(encoding);
        using var response = await client.PostAsync("/v2/models/iris/versions/1/infer", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, body.GetProperty("outputs")[0].GetProperty("data")[0].GetInt64());
    }
}
