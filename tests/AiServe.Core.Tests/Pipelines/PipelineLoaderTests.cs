using AiServe.Core.Pipelines;
using AiServe.Core.Repository;

namespace AiServe.Core.Tests.Pipelines;

public sealed class PipelineLoaderTests
{
    [Fact]
    public void Load_NoPipelineJson_ReturnsNull()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aiserve-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);

        Assert.Null(PipelineLoader.Load(dir));
    }

    [Theory]
    [InlineData("""{"kind": "tabular", "features": [{"name": "x", "type": "numeric", "scael": {}}]}""", "scael")]
    [InlineData("""{"kind": "tabular", "features": [{"name": "x", "type": "numeric", "scale": {"method": "standard", "mean": 0, "std": 0}}]}""", "features[0].scale")]
    [InlineData("""{"kind": "tabular", "features": [{"name": "x", "type": "colour"}]}""", "features[0].type")]
    [InlineData("""{"kind": "audio"}""", "kind")]
    [InlineData("""{"kind": "image", "width": 4, "height": 4, "channels": 2}""", "channels")]
    [InlineData("""{"kind": "text", "tokenizer": {"vocab": "missing.txt"}}""", "tokenizer.vocab")]
    [InlineData("""{"kind": "recommender", "users": "../../etc/passwd"}""", "users")]
    public void Load_BadPipeline_ThrowsNamingTheField(string json, string field)
    {
        var dir = TempPipeline.Write(json);

        var ex = Assert.Throws<ModelConfigException>(() => PipelineLoader.Load(dir));

        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("pipeline.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("penguins", "tabular")]
    [InlineData("fashion-mnist", "image")]
    [InlineData("austen", "text")]
    [InlineData("lecturer-ratings", "recommender")]
    public void Load_BundledModels_GiveTheirKind(string model, string kind)
    {
        var pipeline = PipelineLoader.Load(Path.Combine(global::AiServe.Tests.Common.TestPaths.Models, model, "1"))!;

        Assert.Equal(kind, pipeline.Kind);
        Assert.Equal("object", pipeline.RecordSchema()["type"]?.GetValue<string>() ?? "object");
        Assert.NotEmpty(pipeline.OutputNames);
    }

    [Theory]
    [InlineData("penguins", PipelineAnswers.Classification)]
    [InlineData("fashion-mnist", PipelineAnswers.Classification)]
    [InlineData("austen", PipelineAnswers.Classification)]
    [InlineData("lecturer-ratings", PipelineAnswers.Recommendation)]
    public void Load_BundledModels_SayWhatTheyAnswer(string model, PipelineAnswers answers) =>
        Assert.Equal(answers, PipelineLoader.Load(Path.Combine(global::AiServe.Tests.Common.TestPaths.Models, model, "1"))!.Answers);

    [Theory]
    [InlineData("", PipelineAnswers.Outputs)]
    [InlineData(""", "postprocess": {"type": "classification", "output": "p"}""", PipelineAnswers.Classification)]
    [InlineData(""", "postprocess": {"type": "regression", "output": "y"}""", PipelineAnswers.Regression)]
    [InlineData(""", "postprocess": {"type": "embedding"}""", PipelineAnswers.Embedding)]
    public void Load_PostprocessType_GivesTheAnswers(string postprocess, PipelineAnswers answers)
    {
        var pipeline = TempPipeline.Load($$"""{"kind": "tabular", "features": [{"name": "x", "type": "numeric"}]{{postprocess}}}""");

        Assert.Equal(answers, pipeline.Answers);
    }
}
