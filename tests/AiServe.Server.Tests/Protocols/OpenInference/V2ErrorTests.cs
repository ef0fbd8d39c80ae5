using System.Net;
using System.Text.Json;

namespace AiServe.Server.Tests.Protocols.OpenInference;

/// <summary>Every client mistake is a 4xx with {"error": "..."} that names the problem; never a 500.</summary>
public sealed class V2ErrorTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    private const string Url = "/v2/models/iris/infer";

    public static TheoryData<string, string> BadJsonRequests => new()
    {
        { """{"inputs": [{"name": "petals", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "unknown input 'petals'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}""", "input 'input' has datatype FP64, but model 'iris' version 2 expects FP32" },
        { """{"inputs": [{"name": "input", "shape": [4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "input 'input' has shape [4], but model 'iris' version 2 expects [-1,4]" },
        { """{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "which needs 8 elements, but its data holds 4" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}""", "which needs 4 elements, but its data holds 5" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP33", "data": [1, 2, 3, 4]}]}""", "unknown datatype 'FP33'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, "two", 3, 4]}]}""", "input 'input' must hold numbers, found a string" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, {"a": 1}, 3, 4]}]}""", "found an object" },
        { """{"inputs": [{"name": "input", "shape": [1, -4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "shape of input 'input' must hold non-negative integers" },
        { """{"inputs": [{"name": "input", "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "input 'input' has no 'shape'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "data": [1, 2, 3, 4]}]}""", "input 'input' has no 'datatype'" },
        { """{"inputs": [{"shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "inputs[0] has no 'name'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32"}]}""", "input 'input' has no 'data'" },
        { """{"inputs": []}""", "the request has no 'inputs'" },
        { """{"id": "x"}""", "the request has no 'inputs'" },
        { """{"inputs": {"name": "input"}}""", "'inputs' must be an array" },
        { """[1, 2, 3]""", "the request body must be a JSON object" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}""", "malformed JSON" },
        { """not json""", "malformed JSON" },
        { """{"inputs": [], "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "'inputs' is given more than once in the request" },
        { """{"id": "a", "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "id": "b"}""", "'id' is given more than once in the request" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4], "shape": [2, 2]}]}""", "'shape' is given more than once in inputs[0]" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4], "data": [5, 6, 7, 8]}]}""", "'data' is given more than once in inputs[0]" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}garbage""", "malformed JSON" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}{}""", "malformed JSON" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 1e400]}]}""", "input 'input': 1e400 is out of range for FP32" },
        { "", "malformed JSON" },
        { """{"id": 5, "inputs": []}""", "'id' must be a string" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}, {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "input 'input' is given more than once" },
        { """{"inputs": [{"name": "input", "shape": [60, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]}]}""", "(240 elements) but its data holds fewer elements" },
        { """{"inputs": [{"name": "input", "shape": [100, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]}]}""", "has batch size 100, more than the max_batch_size 64" },

        // Checked by name, datatype and shape before the data is decoded: the data's own mistake is never reached.
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, "x"]}]}""", "input 'input' has datatype FP64, but model 'iris' version 2 expects FP32" },
        { """{"inputs": [{"data": [1, 2, 3, "x"], "name": "other", "shape": [1, 4], "datatype": "FP32"}]}""", "unknown input 'other' for model 'iris' version 2" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "logits"}]}""", "unknown output 'logits'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "label"}, {"name": "label"}]}""", "output 'label' is requested more than once" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{}]}""", "outputs[0] has no 'name'" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "parameters": {"binary_data_output": "yes"}}""", "binary_data_output must be true or false" },
        { """{"inputs": [{"name": "input", "shape": [1000000000, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "has batch size 1000000000, more than the max_batch_size 64" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "parameters": [1]}""", "'parameters' of the request must be an object" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "parameters": {"priority": -1}}""", "parameters.priority must be a non-negative integer" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "parameters": {"timeout": "soon"}}""", "parameters.timeout must be a non-negative integer number of microseconds" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4], "parameters": 7}]}""", "'parameters' of input 'input' must be an object" },
        { """{"inputs": [{"shape": [1, 4], "datatype": "FP32", "parameters": "x", "data": [1, 2, 3, 4]}]}""", "'parameters' of input '#0' must be an object" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "label"}, {"name": "probabilities", "parameters": null}]}""", "'parameters' of outputs[1] must be an object" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "label", "parameters": {"binary_data": 1}}]}""", "outputs[0].parameters.binary_data must be true or false" },
    };

    [Theory]
    [MemberData(nameof(BadJsonRequests))]
    public async Task Infer_BadJsonRequest_Returns400NamingTheProblem(string json, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, Url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BatchOverMaxBatchSize_Returns400()
    {
        var client = await factory.StartAsync();
        var data = string.Join(", ", Enumerable.Repeat("1", 65 * 4));

        var (status, body) = await V2Http.PostJsonAsync(client, Url,
            $$"""{"inputs": [{"name": "input", "shape": [65, 4], "datatype": "FP32", "data": [{{data}}]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("batch size 65, more than the max_batch_size 64", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_MissingInput_Returns400NamingIt()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/fashion-mnist/infer",
            """{"inputs": [{"name": "image", "shape": [1, 1], "datatype": "FP32", "data": [0]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("unknown input 'image'", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/nope/infer", HttpStatusCode.NotFound, "unknown model 'nope'")]
    [InlineData("/v2/models/iris/versions/9/infer", HttpStatusCode.NotFound, "unknown version 9 of model 'iris'")]
    [InlineData("/v2/models/iris/versions/x/infer", HttpStatusCode.BadRequest, "model version 'x' is not a positive integer")]
    public async Task Infer_UnknownModelOrVersion_ReturnsStatusWithError(string url, HttpStatusCode expected, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url,
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""");

        Assert.Equal(expected, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], int?, string> BadBinaryRequests => new()
    {
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]}""", new byte[8], null, "binary_data_size 16, but only 8 bytes of binary data remain" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}""", new byte[8], null, "needs 16 bytes of binary data, got 8" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]}""", new byte[20], null, "4 bytes of binary data that no input's binary_data_size accounts for" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}, "data": [1, 2, 3, 4]}]}""", new byte[16], null, "has both 'data' and parameters.binary_data_size" },
        { """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": -1}}]}""", new byte[16], null, "binary_data_size of input 'input' must be a non-negative integer" },
        { """{"inputs": []}""", new byte[16], 100000, "Inference-Header-Content-Length is 100000 but the body has only" },
        { """{"inputs": [{"name": "input", "shape": [1152921504606846976, 4], "datatype": "FP32", "parameters": {"binary_data_size": 0}}]}""", [], null, "has batch size 1152921504606846976, more than the max_batch_size 64" },
    };

    [Theory]
    [MemberData(nameof(BadBinaryRequests))]
    public async Task Infer_BadBinaryFraming_Returns400NamingTheProblem(string json, byte[] binary, int? headerLength, string message)
    {
        var client = await factory.StartAsync();

        using var response = await V2Http.PostBinaryAsync(client, Url, json, binary, headerLength);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_HeaderLengthNotANumber_Returns400()
    {
        var client = await factory.StartAsync();
        using var content = new StringContent("{}");
        content.Headers.TryAddWithoutValidation(V2Http.HeaderLength, "twelve");

        using var response = await client.PostAsync(Url, content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Inference-Header-Content-Length must be a non-negative integer", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ClassificationParameter_Returns501NamingTheExtension()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, Url, """
            {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}],
             "outputs": [{"name": "probabilities", "parameters": {"classification": 2}}]}
            """);

        Assert.Equal(HttpStatusCode.NotImplemented, status);
        Assert.Contains("classification", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BodyOverLimit_Returns413()
    {
        using var small = new AiServeFactory(AiServe.Tests.Common.TestPaths.Models, maxBodyBytes: 2048);
        var client = await small.StartAsync();
        var data = string.Join(", ", Enumerable.Repeat("1.0", 1000));

        var (status, body) = await V2Http.PostJsonAsync(client, Url,
            $$"""{"inputs": [{"name": "input", "shape": [250, 4], "datatype": "FP32", "data": [{{data}}]}]}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than the limit of 2048 bytes", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/iris/infer", "application/json", true)]
    [InlineData("/v2/models/iris/infer", "application/json", false)]
    [InlineData("/v1/models/iris:predict", "application/json", true)]
    [InlineData("/v1/models/fashion-mnist:predict", "image/png", true)]
    [InlineData("/v1/models/fashion-mnist:predict", "image/png", false)]
    public async Task Post_BodyOverLimit_Returns413AndClosesTheConnection(string url, string contentType, bool declaredLength)
    {
        // The rest of the body is left unread: a client must not send its next request on this connection.
        using var small = new AiServeFactory(AiServe.Tests.Common.TestPaths.Models, maxBodyBytes: 2048);
        await small.StartAsync();
        var bytes = new byte[4096];
        Array.Fill(bytes, (byte)' ');
        using var content = new BytesContent(bytes, declaredLength);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);

        using var response = await small.CreateStreamingClient().PostAsync(url, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than the limit of 2048 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(response.Headers.ConnectionClose);
    }

    /// <summary>A body that gives its length up front (Content-Length) or not (the server learns it by reading).</summary>
    private sealed class BytesContent(byte[] bytes, bool declaredLength) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return declaredLength;
        }
    }
}
