using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Pipelines;

public sealed class PostprocessorTests
{
    private static Tensor Output(string name, long[] shape, params float[] values) => Tensor.FromValues<float>(name, TensorDataType.Fp32, shape, values);

    private static Core.Pipelines.IPipeline Tabular(string postprocess) => TempPipeline.Load($$"""
        {"kind": "tabular", "features": [{"name": "x", "type": "numeric"}], "postprocess": {{postprocess}} }
        """);

    [Fact]
    public void Classification_Softmax_TopKAndLabel()
    {
        var pipeline = Tabular("""{"type": "classification", "probabilities": "logits", "labels": ["a", "b", "c"], "top_k": 2, "apply_softmax": true}""");

        var answer = Assert.Single(pipeline.Postprocess([Output("logits", [1, 3], 0f, 2f, 1f)], []));

        Assert.Equal("b", answer["label"]!.GetValue<string>());
        Assert.Equal(0.66524f, answer["score"]!.GetValue<float>(), 1e-4);
        Assert.Equal(["b", "c"], answer["top_k"]!.AsArray().Select(n => n!["label"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(0.7f, 0.5, "yes")]
    [InlineData(0.3f, 0.5, "no")]
    [InlineData(0.3f, 0.2, "yes")]
    public void Classification_BinaryThreshold_PicksPositiveAtThreshold(float p, double threshold, string expected)
    {
        var pipeline = Tabular($$"""{"type": "classification", "probabilities": "p", "labels": ["no", "yes"], "threshold": {{threshold}} }""");

        var answer = Assert.Single(pipeline.Postprocess([Output("p", [1, 1], p)], []));

        Assert.Equal(expected, answer["label"]!.GetValue<string>());
    }

    [Fact]
    public void Regression_InverseScale_UndoesStandardScaling()
    {
        var pipeline = Tabular("""{"type": "regression", "output": "y", "inverse_scale": {"method": "standard", "mean": 10, "std": 2}}""");

        var answer = Assert.Single(pipeline.Postprocess([Output("y", [1], 1.5f)], []));

        Assert.Equal(13.0, answer["value"]!.GetValue<double>(), 1e-6);
    }

    [Fact]
    public void Regression_InverseScale_UndoesMinMaxScaling()
    {
        var pipeline = Tabular("""{"type": "regression", "output": "y", "inverse_scale": {"method": "minmax", "min": 10, "max": 18}}""");

        var answer = Assert.Single(pipeline.Postprocess([Output("y", [1], 0.25f)], []));

        Assert.Equal(12.0, answer["value"]!.GetValue<double>(), 1e-6);
    }

    [Fact]
    public void Embedding_Normalize_GivesUnitLength()
    {
        var pipeline = Tabular("""{"type": "embedding", "output": "e", "normalize": true}""");

        var answer = Assert.Single(pipeline.Postprocess([Output("e", [1, 2], 3f, 4f)], []));

        Assert.Equal([0.6f, 0.8f], answer["embedding"]!.AsArray().Select(n => n!.GetValue<float>()));
    }

    [Fact]
    public void Postprocess_MissingOutput_ThrowsInternal()
    {
        var pipeline = Tabular("""{"type": "regression", "output": "y"}""");

        var ex = Assert.Throws<InferenceException>(() => pipeline.Postprocess([Output("other", [1], 1f)], []));
        Assert.Equal(InferenceErrorCode.Internal, ex.Code);
    }
}
