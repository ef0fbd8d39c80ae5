using AiServe.Core.Repository;
using AiServe.Tests.Common;

namespace AiServe.Core.Tests.Repository;

public sealed class ModelConfigLoaderTests
{
    private static ModelConfigException ParseFails(string json, string folder = "m") =>
        Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(json, folder));

    [Fact]
    public void Parse_NameAbsent_DefaultsToFolderName()
    {
        var config = ModelConfigLoader.Parse("{}", "iris");

        Assert.Equal("iris", config.Name);
    }

    [Fact]
    public void Parse_EmptyObject_HasDocumentedDefaults()
    {
        var config = ModelConfigLoader.Parse("{}", "m");

        Assert.Equal(0, config.MaxBatchSize);
        Assert.Null(config.Inputs);
        Assert.Null(config.Outputs);
        Assert.Null(config.VersionPolicy);
        Assert.Null(config.Labels);
        Assert.Null(config.Onnx);
        Assert.Null(config.Warmup);
    }

    [Fact]
    public void Parse_OnnxSectionEmpty_HasDocumentedDefaults()
    {
        var onnx = ModelConfigLoader.Parse("""{"onnx": {}}""", "m").Onnx!;

        Assert.Equal(0, onnx.IntraOpThreads);
        Assert.Equal(0, onnx.InterOpThreads);
        Assert.Equal("all", onnx.GraphOptimizationLevel);
        Assert.Equal(["cpu"], onnx.ExecutionProviders);
    }

    [Fact]
    public void Parse_NameDiffersFromFolder_ErrorNamesBoth()
    {
        var ex = ParseFails("""{"name": "other"}""", "iris");

        Assert.Contains("'name'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("other", ex.Message, StringComparison.Ordinal);
        Assert.Contains("iris", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"nmae": "m"}""", "nmae")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "dims": [1]}]}""", "dims")]
    [InlineData("""{"onnx": {"threads": 2}}""", "threads")]
    [InlineData("""{"version_policy": {"latest": {"n": 2}}}""", "'n'")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [1], "data": [1], "datatype": "FP32"}}}]}""", "datatype")]
    public void Parse_UnknownField_ErrorNamesField(string json, string field)
    {
        var ex = ParseFails(json);

        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"platform": "tensorflow"}""", "'platform'")]
    [InlineData("""{"max_batch_size": -1}""", "'max_batch_size'")]
    [InlineData("""{"inputs": [{"datatype": "FP32", "shape": [1]}]}""", "'inputs[0].name'")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1]}, {"name": "x", "datatype": "FP32", "shape": [1]}]}""", "'inputs[1].name'")]
    [InlineData("""{"outputs": [{"name": "y", "datatype": "FLOAT", "shape": [1]}]}""", "'outputs[0].datatype'")]
    [InlineData("""{"outputs": [{"name": "y", "datatype": "fp32", "shape": [1]}]}""", "'outputs[0].datatype'")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [-2, 4]}]}""", "'inputs[0].shape'")]
    [InlineData("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": null}]}""", "'inputs[0].shape'")]
    [InlineData("""{"inputs": [null]}""", "'inputs[0]'")]
    [InlineData("""{"version_policy": {}}""", "'version_policy'")]
    [InlineData("""{"version_policy": {"latest": {}, "all": {}}}""", "'version_policy'")]
    [InlineData("""{"version_policy": {"latest": {"num_versions": 0}}}""", "'version_policy.latest.num_versions'")]
    [InlineData("""{"version_policy": {"all": []}}""", "'version_policy.all'")]
    [InlineData("""{"version_policy": {"specific": {"versions": []}}}""", "'version_policy.specific.versions'")]
    [InlineData("""{"version_policy": {"specific": {"versions": [1, 0]}}}""", "'version_policy.specific.versions'")]
    [InlineData("""{"labels": {"not-ok": 1}}""", "'labels.not-ok'")]
    [InlineData("""{"labels": {"stable": 0}}""", "'labels.stable'")]
    [InlineData("""{"instance_count": 0}""", "'instance_count'")]
    [InlineData("""{"instance_count": 257}""", "'instance_count'")]
    [InlineData("""{"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_us": 4294967295000}}""", "'dynamic_batching.max_queue_delay_us'")]
    [InlineData("""{"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_us": 9223372036854775807}}""", "'dynamic_batching.max_queue_delay_us'")]
    [InlineData("""{"max_batch_size": 8, "dynamic_batching": {"default_timeout_ms": 4294967295}}""", "'dynamic_batching.default_timeout_ms'")]
    [InlineData("""{"max_batch_size": 0, "dynamic_batching": {"preferred_batch_sizes": [3]}}""", "'dynamic_batching.preferred_batch_sizes'")]
    [InlineData("""{"outputs": []}""", "'outputs'")]
    [InlineData("""{"onnx": {"intra_op_threads": -1}}""", "'onnx.intra_op_threads'")]
    [InlineData("""{"onnx": {"inter_op_threads": -1}}""", "'onnx.inter_op_threads'")]
    [InlineData("""{"onnx": {"graph_optimization_level": "max"}}""", "'onnx.graph_optimization_level'")]
    [InlineData("""{"onnx": {"execution_providers": []}}""", "'onnx.execution_providers'")]
    [InlineData("""{"warmup": [{"inputs": {}}]}""", "'warmup[0].inputs'")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [-1, 2], "data": [1, 2]}}}]}""", "'warmup[0].inputs.x.shape'")]
    [InlineData("""{"warmup": [{"inputs": {"x": {"shape": [1], "data": 5}}}]}""", "'warmup[0].inputs.x.data'")]
    public void Parse_InvalidValue_ErrorNamesFieldPath(string json, string path)
    {
        var ex = ParseFails(json);

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"max_batch_size": "8"}""", "max_batch_size")]
    [InlineData("""{"task": "translation"}""", "task")]
    [InlineData("""{"labels": {"stable": "one"}}""", "labels.stable")]
    public void Parse_WrongJsonType_ErrorNamesFieldPath(string json, string path)
    {
        var ex = ParseFails(json);

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[]")]
    public void Parse_NotAnObject_Throws(string json)
    {
        var ex = ParseFails(json);

        Assert.StartsWith("model.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"max_batch_size": 8, "max_batch_size": 0}""")]
    [InlineData("""{"dynamic_batching": {"max_queue_size": 4, "max_queue_size": 8}}""")]
    public void Parse_FieldGivenTwice_Throws(string json)
    {
        var ex = ParseFails(json);

        Assert.Contains("Duplicate", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max_", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CommentsAndTrailingCommas_Accepted()
    {
        const string json = """
            {
              // the name of the model
              "name": "m", /* same as the folder */
              "labels": { "stable": 1, },
              "warmup": [{ "inputs": { "x": { "shape": [2], "data": [1, /* two */ 2,] } } }],
            }
            """;

        var config = ModelConfigLoader.Parse(json, "m");

        Assert.Equal(1, config.Labels!["stable"]);
        Assert.Equal(2, config.Warmup![0].Inputs["x"].Data.GetArrayLength());
    }

    [Fact]
    public void Parse_MaxBatchSizePositiveAndShapeWithoutBatchDimension_ErrorNamesShape()
    {
        var ex = ParseFails("""{"max_batch_size": 8, "outputs": [{"name": "y", "datatype": "FP32", "shape": [4]}]}""");

        Assert.Contains("'outputs[0].shape'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MaxBatchSizePositiveAndScalarShape_ErrorNamesShape()
    {
        var ex = ParseFails("""{"max_batch_size": 8, "inputs": [{"name": "x", "datatype": "FP32", "shape": []}]}""");

        Assert.Contains("'inputs[0].shape'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MaxBatchSizePositiveAndBatchDimensionFirst_Accepted()
    {
        var config = ModelConfigLoader.Parse("""{"max_batch_size": 8, "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}]}""", "m");

        Assert.Equal([-1L, 4], config.Inputs![0].Shape);
    }

    [Fact]
    public void Parse_MaxBatchSizeZero_FixedFirstDimensionAccepted()
    {
        var config = ModelConfigLoader.Parse("""{"max_batch_size": 0, "inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4]}]}""", "m");

        Assert.Equal([3L, 4], config.Inputs![0].Shape);
    }

    [Fact]
    public void Parse_TaskAndPolicy_ReadAsDeclared()
    {
        var config = ModelConfigLoader.Parse("""{"task": "embedding", "platform": "onnxruntime_onnx", "version_policy": {"specific": {"versions": [3, 1]}}}""", "m");

        Assert.Equal(ModelTask.Embedding, config.Task);
        Assert.Equal([3L, 1], config.VersionPolicy!.Specific!.Versions);
    }

    [Fact]
    public void Parse_TensorWithoutShape_ErrorNamesShape()
    {
        var ex = ParseFails("""{"inputs": [{"name": "x", "datatype": "FP32"}]}""");

        Assert.Contains("shape", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AllPolicyWithMembers_ErrorNamesAll()
    {
        var ex = ParseFails("""{"version_policy": {"all": {"num_versions": 2}}}""");

        Assert.Contains("'version_policy.all'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"warmup": [null]}""", "'warmup[0]'")]
    [InlineData("""{"warmup": [{"inputs": {"x": null}}]}""", "'warmup[0].inputs.x'")]
    public void Parse_NullWarmupEntry_ThrowsModelConfigException(string json, string path)
    {
        var ex = ParseFails(json);

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TaskAsInteger_Rejected()
    {
        ParseFails("""{"task": 0}""");
    }

    [Fact]
    public void Parse_BundledModels_AreValid()
    {
        foreach (var dir in Directory.GetDirectories(TestPaths.Models))
        {
            var config = ModelConfigLoader.Parse(File.ReadAllText(Path.Combine(dir, "model.json")), Path.GetFileName(dir));
            Assert.Equal(Path.GetFileName(dir), config.Name);
        }
    }
}
