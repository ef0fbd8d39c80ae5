using System.Net;
using System.Text.Json;

namespace AiServe.Server.Tests.Protocols.OpenInference;

public sealed class V2HealthAndMetadataTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Fact]
    public async Task ServerMetadata_Get_ReturnsNameVersionAndImplementedExtensions()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("aiserve", body.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
        Assert.Equal(["binary_tensor_data", "schedule_policy"], body.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("/v2/health/live", "live")]
    [InlineData("/v2/health/ready", "ready")]
    public async Task ServerHealth_AfterLoad_IsTrue(string url, string field)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty(field).GetBoolean());
    }

    [Theory]
    [InlineData("/health/live", "live")]
    [InlineData("/health/ready", "ready")]
    public async Task OperatorHealth_AfterLoad_Answers200(string url, string expected)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected, body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OperatorReady_ListsEveryVersionState()
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.GetAsync(client, "/health/ready");

        Assert.Equal("READY", body.GetProperty("models").GetProperty("iris").GetProperty("2").GetString());
        Assert.Equal("READY", body.GetProperty("models").GetProperty("fashion-mnist").GetProperty("1").GetString());
    }

    [Fact]
    public async Task ModelMetadata_Iris_DescribesVersionsPlatformAndTensors()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v2/models/iris");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("iris", body.GetProperty("name").GetString());
        Assert.Equal(["1", "2"], body.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("onnxruntime_onnx", body.GetProperty("platform").GetString());
        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("input", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 4], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var outputs = body.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(["label", "probabilities"], outputs.Select(o => o.GetProperty("name").GetString()));
        Assert.Equal(["INT64", "FP32"], outputs.Select(o => o.GetProperty("datatype").GetString()));
    }

    [Theory]
    [InlineData("/v2/models/iris/versions/1", new[] { "1" })]
    [InlineData("/v2/models/iris/versions/2", new[] { "2" })]
    [InlineData("/v2/models/iris", new[] { "1", "2" })]
    public async Task ModelMetadata_OfOneVersion_ListsThatVersionOnly(string url, string[] versions)
    {
        // As Triton's TRITONSERVER_ServerModelMetadata: the version asked for, or every ready version when none is.
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(versions, body.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ModelMetadata_FashionMnist_HasImageShape()
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.GetAsync(client, "/v2/models/fashion-mnist/versions/1");

        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal([-1L, 1, 28, 28], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Theory]
    [InlineData("/v2/models/nope", "unknown model 'nope'")]
    [InlineData("/v2/models/nope/ready", "unknown model 'nope'")]
    [InlineData("/v2/models/iris/versions/7", "unknown version 7 of model 'iris'")]
    [InlineData("/v2/models/iris/versions/7/ready", "unknown version 7 of model 'iris'")]
    public async Task Metadata_UnknownModelOrVersion_Returns404WithError(string url, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/iris/versions/abc")]
    [InlineData("/v2/models/iris/versions/0/ready")]
    [InlineData("/v2/models/iris/versions/-1")]
    public async Task Metadata_VersionNotAPositiveInteger_Returns400(string url)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not a positive integer", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/iris/ready")]
    [InlineData("/v2/models/iris/versions/1/ready")]
    [InlineData("/v2/models/fashion-mnist/versions/1/ready")]
    public async Task ModelReady_LoadedModel_ReturnsNameAndReady(string url)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("ready").GetBoolean());
        Assert.Equal(url.Split('/')[3], body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ModelMetadata_ResponseHasOnlyProtocolFields()
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.GetAsync(client, "/v2/models/iris/versions/2");

        Assert.Equal(["name", "versions", "platform", "inputs", "outputs"], body.EnumerateObject().Select(p => p.Name));
        Assert.All(body.GetProperty("inputs").EnumerateArray(), i =>
            Assert.Equal(["name", "datatype", "shape"], i.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("versions").ValueKind);
    }
}
