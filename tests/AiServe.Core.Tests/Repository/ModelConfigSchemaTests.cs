using System.Text.Json;
using AiServe.Core.Repository;
using AiServe.Tests.Common;
using Json.Schema;

namespace AiServe.Core.Tests.Repository;

public sealed class ModelConfigSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "model-config.schema.json"))));

    private static readonly JsonDocumentOptions ModelJsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static TheoryData<string> ModelConfigFiles() => new(ModelConfigPaths());

    private static string[] ModelConfigPaths() =>
        Directory.GetFiles(TestPaths.Models, "model.json", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(TestPaths.Fixtures, "repos"), "model.json", SearchOption.AllDirectories))
            .Select(file => Path.GetRelativePath(TestPaths.RepoRoot, file))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static EvaluationResults Evaluate(string json)
    {
        using var document = JsonDocument.Parse(json, ModelJsonOptions);
        return Schema.Value.Evaluate(document.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")));

    [Fact]
    public void ModelConfigFiles_FindsBundledAndFixtureModels()
    {
        var files = ModelConfigPaths();

        Assert.Contains(Path.Combine("models", "iris", "model.json"), files);
        Assert.Contains(Path.Combine("models", "fashion-mnist", "model.json"), files);
        Assert.Contains(files, f => f.StartsWith(Path.Combine("tests", "fixtures", "repos"), StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ModelConfigFiles))]
    public void Evaluate_RepositoryModelJson_IsValid(string relativePath)
    {
        var results = Evaluate(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, relativePath)));

        Assert.True(results.IsValid, Describe(results));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"name": "m", "platform": "onnxruntime_onnx", "task": "recommendation", "description": null}""")]
    [InlineData("""{"version_policy": {"latest": {}}}""")]
    [InlineData("""{"version_policy": {"specific": {"versions": [1, 3]}}}""")]
    [InlineData("""{"onnx": {"intra_op_threads": 0, "inter_op_threads": 2, "graph_optimization_level": "basic", "execution_providers": ["cpu"]}}""")]
    [InlineData("""{"max_batch_size": 0, "inputs": [{"name": "x", "datatype": "BYTES", "shape": []}]}""")]
    [InlineData("""{"warmup": [{"name": "w", "inputs": {"x": {"shape": [1, 2], "data": [[1, 2]]}}}]}""")]
    [InlineData("""{"max_batch_size": 8, "instance_count": 2, "dynamic_batching": {"enabled": true, "max_batch_size": 4, "preferred_batch_sizes": [2, 4], "max_queue_delay_us": 500, "max_queue_size": 16, "preserve_ordering": true, "default_timeout_ms": 100}}""")]
    [InlineData("""{"dynamic_batching": {"enabled": false}}""")]
    [InlineData("""{"max_batch_size": 8, "instance_count": 256, "dynamic_batching": {"max_queue_delay_us": 4294967294000, "default_timeout_ms": 4294967294}}""")]
    public void Evaluate_ValidConfig_SchemaAndLoaderAccept(string json)
    {
        var results = Evaluate(json);
        var loaded = Record.Exception(() => ModelConfigLoader.Parse(json, "m"));

        Assert.True(results.IsValid, Describe(results));
        Assert.Null(loaded);
    }

    [Theory]
    [InlineData("""{"nmae": "m"}""")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "dims": [1]}]}""")]
    [InlineData("""{"onnx": {"threads": 1}}""")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [1], "data": [1], "extra": 1}}}]}""")]
    [InlineData("""{"version_policy": {"all": {"n": 1}}}""")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FLOAT32", "shape": [1]}]}""")]
    [InlineData("""{"outputs": [{"name": "y", "datatype": "fp32", "shape": [1]}]}""")]
    [InlineData("""{"version_policy": {"latest": {}, "all": {}}}""")]
    [InlineData("""{"version_policy": {}}""")]
    [InlineData("""{"version_policy": {"specific": {"versions": [0]}}}""")]
    [InlineData("""{"version_policy": {"specific": {"versions": []}}}""")]
    [InlineData("""{"version_policy": {"latest": {"num_versions": 0}}}""")]
    [InlineData("""{"labels": {"not-ok": 1}}""")]
    [InlineData("""{"labels": {"stable": 0}}""")]
    [InlineData("""{"max_batch_size": -1}""")]
    [InlineData("""{"instance_count": 0}""")]
    [InlineData("""{"instance_count": 257}""")]
    [InlineData("""{"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_us": 4294967295000}}""")]
    [InlineData("""{"max_batch_size": 8, "dynamic_batching": {"default_timeout_ms": 4294967295}}""")]
    [InlineData("""{"dynamic_batching": {"max_queue_delay": 5}}""")]
    [InlineData("""{"dynamic_batching": {"max_queue_size": -1}}""")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [-2]}]}""")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32"}]}""")]
    [InlineData("""{"inputs": [{"name": "", "datatype": "FP32", "shape": [1]}]}""")]
    [InlineData("""{"task": "translation"}""")]
    [InlineData("""{"task": 0}""")]
    [InlineData("""{"platform": "tensorflow"}""")]
    [InlineData("""{"onnx": {"graph_optimization_level": "max"}}""")]
    [InlineData("""{"onnx": {"intra_op_threads": -1}}""")]
    [InlineData("""{"onnx": {"execution_providers": []}}""")]
    [InlineData("""{"warmup": [{"inputs": {}}]}""")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [-1], "data": [1]}}}]}""")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [1], "data": 1}}}]}""")]
    public void Evaluate_InvalidConfig_SchemaAndLoaderBothReject(string json)
    {
        var results = Evaluate(json);

        Assert.False(results.IsValid, "the schema accepts " + json);
        Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(json, "m"));
    }
}
