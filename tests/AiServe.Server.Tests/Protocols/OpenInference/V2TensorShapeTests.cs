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

    [Theory]
    [InlineData(null)]
    [InlineData("""{"outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 3]}]}""")]
    public async Task Infer_ModelFileDeclaresAFixedOutputItComputesForEveryRow_AnsweredAsComputed(string? config)
    {
        // The file says y is [1, 3] and computes [N, 3]; ONNX Runtime answers what it computes, and so did AiServe
        // before answers were checked. Only sizes model.json adds are checked.
        var repo = _repo.CopyModelFile(Fixture("fixed_output"), "fixed", 1);
        if (config is not null)
        {
            repo.WriteConfig("fixed", config);
        }

        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (status, answer) = await V2Http.PostJsonAsync(client, "/v2/models/fixed/infer",
            """{"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": [1, 1, 1, 1, 1, 2, 3, 4]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var y = Assert.Single(answer.GetProperty("outputs").EnumerateArray());
        Assert.Equal([2L, 3], Shape(y));
        Assert.Equal([4f, 4, 4, 10, 10, 10], y.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()));
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

    // iris's label output is [-1] in the file (one label per row); model.json pins it to [3] without batching.
    private const string IrisLabelDeclaredThree = """
        {"max_batch_size": 0, "outputs": [{"name": "label", "datatype": "INT64", "shape": [3]}]%WARMUP%}
        """;

    private const string ThreeRows = """
        {"inputs": [{"name": "input", "shape": [3, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3, 5.9, 3.0, 4.2, 1.5]}]}
        """;

    [Fact]
    public async Task Infer_OutputShapedOtherwiseThanDeclared_Fails500NamingOutputDeclaredAndActualShapes()
    {
        var warmup = """, "warmup": [{"name": "three-rows", "inputs": {"input": {"shape": [3, 4], "data": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}}}]""";
        _repo.CopyVersion(TestPaths.Models, "iris", 1).WriteConfig("iris", IrisLabelDeclaredThree.Replace("%WARMUP%", warmup, StringComparison.Ordinal));
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (okStatus, ok) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer", ThreeRows);
        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}""");

        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal([3L], Shape(ok.GetProperty("outputs")[0]));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("unexpected shape for output 'label' of model 'iris' version 1: its published shape is [3], the run gave [2]", V2Http.Error(body));
    }

    [Fact]
    public async Task Load_WarmupOutputShapedOtherwiseThanDeclared_VersionUnavailableWithTheShapes()
    {
        // The default warm-up sample has one row, so the label comes back [1].
        _repo.CopyVersion(TestPaths.Models, "iris", 1).WriteConfig("iris", IrisLabelDeclaredThree.Replace("%WARMUP%", "", StringComparison.Ordinal));
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v2/models/iris/versions/1/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("warm-up sample 'zeros' failed: unexpected shape for output 'label' of model 'iris' version 1: its published shape is [3], the run gave [1]",
            body.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
