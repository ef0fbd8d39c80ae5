using System.Net;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols.OpenInference;

/// <summary>The shapes a model publishes in its metadata, and what its answers may be, for tensors of unusual rank.</summary>
public sealed class V2TensorShapeTests : IDisposable
{
    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "onnx", name + ".onnx");

    private static long[] Shape(System.Text.Json.JsonElement tensor) => tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();

    [Fact]
    public async Task Metadata_InputWithNoShapeInTheGraphAndNoModelJson_IsNotPublishedAsAScalar_VersionUnavailableNamingIt()
    {
        _repo.CopyModelFile(Fixture("unknown_rank"), "anyrank", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v2/models/anyrank/versions/1/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("input 'x' is a scalar or a tensor of any rank", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await V2Http.GetAsync(client, "/v2/models/anyrank")).Status);
    }

    [Fact]
    public async Task Metadata_InputWithNoShapeInTheGraph_TakesTheShapeModelJsonDeclares_AndServesIt()
    {
        _repo.CopyModelFile(Fixture("unknown_rank"), "anyrank", 1).WriteConfig("anyrank", """
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
             "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]}
            """);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (status, metadata) = await V2Http.GetAsync(client, "/v2/models/anyrank");
        var (inferStatus, answer) = await V2Http.PostJsonAsync(client, "/v2/models/anyrank/infer",
            """{"inputs": [{"name": "x", "shape": [3, 2], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([-1L, 2], Shape(Assert.Single(metadata.GetProperty("inputs").EnumerateArray())));
        Assert.Equal([-1L, 2], Shape(Assert.Single(metadata.GetProperty("outputs").EnumerateArray())));
        Assert.Equal(HttpStatusCode.OK, inferStatus);
        var y = Assert.Single(answer.GetProperty("outputs").EnumerateArray());
        Assert.Equal([3L, 2], Shape(y));
        Assert.Equal([2f, 4, 6, 8, 10, 12], y.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()));
    }

    [Fact]
    public async Task Infer_GenuineScalarModelDeclaredInModelJson_TakesScalarsOnly()
    {
        _repo.CopyModelFile(Fixture("scalar"), "scalar", 1).WriteConfig("scalar", """
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": []}],
             "outputs": [{"name": "y", "datatype": "FP32", "shape": []}]}
            """);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (_, metadata) = await V2Http.GetAsync(client, "/v2/models/scalar");
        var (status, answer) = await V2Http.PostJsonAsync(client, "/v2/models/scalar/infer",
            """{"inputs": [{"name": "x", "shape": [], "datatype": "FP32", "data": [21]}]}""");
        var (refused, error) = await V2Http.PostJsonAsync(client, "/v2/models/scalar/infer",
            """{"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}]}""");

        Assert.Empty(Shape(Assert.Single(metadata.GetProperty("inputs").EnumerateArray())));
        Assert.Equal(HttpStatusCode.OK, status);
        var y = Assert.Single(answer.GetProperty("outputs").EnumerateArray());
        Assert.Empty(Shape(y));
        Assert.Equal([42f], y.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Contains("input 'x' has shape [3], but model 'scalar' version 1 expects []", V2Http.Error(error), StringComparison.Ordinal);
    }
}
