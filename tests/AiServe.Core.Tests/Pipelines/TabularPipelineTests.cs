using AiServe.Core.Pipelines;

namespace AiServe.Core.Tests.Pipelines;

public sealed class TabularPipelineTests
{
    private static IPipeline Numeric(string extra) => TempPipeline.Load($$"""
        {"kind": "tabular", "features": [{"name": "x", "type": "numeric" {{extra}} }]}
        """);

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"x": null}""")]
    [InlineData("""{"x": ""}""")]
    [InlineData("""{"x": "NaN"}""")]
    public void Preprocess_MissingNumeric_UsesImputeValue(string record)
    {
        var pipeline = Numeric(""", "impute": {"strategy": "mean", "value": 7.5}""");

        Assert.Equal([7.5f], TempPipeline.Row(pipeline, record));
    }

    [Fact]
    public void Preprocess_NumericString_IsReadAsNumber()
    {
        Assert.Equal([2.5f], TempPipeline.Row(Numeric(""), """{"x": "2.5"}"""));
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(5, 5)]
    [InlineData(50, 10)]
    public void Preprocess_ClipOutliers_ClampsToRange(double x, float expected)
    {
        var pipeline = Numeric(""", "outliers": {"method": "clip", "min": 0, "max": 10}""");

        Assert.Equal([expected], TempPipeline.Row(pipeline, $$"""{"x": {{x}}}"""));
    }

    [Fact]
    public void Postprocess_FlagOutliers_KeepsValueAndReportsIt()
    {
        var pipeline = TempPipeline.Load("""
            {"kind": "tabular", "features": [{"name": "x", "type": "numeric", "outliers": {"method": "flag", "min": 0, "max": 10}}],
             "postprocess": {"type": "regression", "output": "y"}}
            """);
        var record = TempPipeline.Record("""{"x": 50}""");

        var row = pipeline.Preprocess([record])[0].AsSpan<float>().ToArray();
        var answer = Assert.Single(pipeline.Postprocess([Core.Inference.Tensor.FromValues<float>("y", Core.Inference.TensorDataType.Fp32, [1, 1], [3f])], [record]));

        Assert.Equal([50f], row);
        Assert.Equal("x", answer["outliers"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(3.0, answer["value"]!.GetValue<double>());
    }

    [Fact]
    public void Postprocess_ClipOutliers_ReportsNone()
    {
        var pipeline = TempPipeline.Load("""
            {"kind": "tabular", "features": [{"name": "x", "type": "numeric", "outliers": {"method": "clip", "min": 0, "max": 10}}],
             "postprocess": {"type": "regression", "output": "y"}}
            """);
        var record = TempPipeline.Record("""{"x": 50}""");

        pipeline.Preprocess([record]);
        var answer = Assert.Single(pipeline.Postprocess([Core.Inference.Tensor.FromValues<float>("y", Core.Inference.TensorDataType.Fp32, [1, 1], [3f])], [record]));

        Assert.False(answer.ContainsKey("outliers"));
    }

    [Fact]
    public void Preprocess_StandardAndMinMaxScale_GiveKnownValues()
    {
        Assert.Equal([2f], TempPipeline.Row(Numeric(""", "scale": {"method": "standard", "mean": 10, "std": 2}"""), """{"x": 14}"""));
        Assert.Equal([0.25f], TempPipeline.Row(Numeric(""", "scale": {"method": "minmax", "min": 10, "max": 18}"""), """{"x": 12}"""));
    }

    [Theory]
    [InlineData("true", 1f)]
    [InlineData("false", 0f)]
    [InlineData("1", 1f)]
    [InlineData("\"false\"", 0f)]
    public void Preprocess_Boolean_IsOneOrZero(string value, float expected)
    {
        var pipeline = TempPipeline.Load("""{"kind": "tabular", "features": [{"name": "b", "type": "boolean"}]}""");

        Assert.Equal([expected], TempPipeline.Row(pipeline, $$"""{"b": {{value}}}"""));
    }

    private static IPipeline Categorical(string method, string unknown) => TempPipeline.Load($$$"""
        {"kind": "tabular", "features": [{"name": "c", "type": "categorical",
          "encode": {"method": "{{{method}}}", "categories": ["a", "b", "c"], "unknown": "{{{unknown}}}"}}]}
        """);

    [Theory]
    [InlineData("ignore", "b", new[] { 0f, 1f, 0f })]
    [InlineData("ignore", "zzz", new[] { 0f, 0f, 0f })]
    [InlineData("bucket", "c", new[] { 0f, 0f, 1f, 0f })]
    [InlineData("bucket", "zzz", new[] { 0f, 0f, 0f, 1f })]
    [InlineData("error", "a", new[] { 1f, 0f, 0f })]
    public void Preprocess_OneHot_EachUnknownPolicy(string unknown, string value, float[] expected)
    {
        Assert.Equal(expected, TempPipeline.Row(Categorical("one_hot", unknown), $$"""{"c": "{{value}}"}"""));
    }

    [Theory]
    [InlineData("ignore", "c", 2f)]
    [InlineData("ignore", "zzz", -1f)]
    [InlineData("bucket", "zzz", 3f)]
    public void Preprocess_Ordinal_EachUnknownPolicy(string unknown, string value, float expected)
    {
        Assert.Equal([expected], TempPipeline.Row(Categorical("ordinal", unknown), $$"""{"c": "{{value}}"}"""));
    }

    [Theory]
    [InlineData("one_hot")]
    [InlineData("ordinal")]
    public void Preprocess_UnknownCategoryWithError_ThrowsNamingFieldValueAndCategories(string method)
    {
        var pipeline = Categorical(method, "error");

        PipelineAssert.InvalidArgument(() => pipeline.Preprocess([TempPipeline.Record("""{"c": "zzz"}""")]), "record 0", "'c'", "zzz", "a, b, c");
    }

    [Fact]
    public void Preprocess_Projection_IsComponentsTimesCentredRow()
    {
        var pipeline = TempPipeline.Load("""
            {"kind": "tabular", "features": [{"name": "x", "type": "numeric"}, {"name": "y", "type": "numeric"}],
             "projection": {"mean": [1, 2], "components": [[1, 1], [2, -1]]}}
            """);

        Assert.Equal([5f, 4f], TempPipeline.Row(pipeline, """{"x": 4, "y": 4}"""));
    }

    [Fact]
    public void Preprocess_MissingRequiredFeature_ThrowsNamingTheField()
    {
        PipelineAssert.InvalidArgument(() => Numeric("").Preprocess([TempPipeline.Record("""{"y": 1}""")]), "'x'", "required");
    }

    [Theory]
    [InlineData("\"abc\"", "'abc'")]
    [InlineData("true", "a boolean")]
    [InlineData("[1]", "an array")]
    public void Preprocess_WrongTypeForNumeric_ThrowsNamingTheField(string value, string found)
    {
        PipelineAssert.InvalidArgument(() => Numeric("").Preprocess([TempPipeline.Record($$"""{"x": {{value}}}""")]), "'x'", "must be a number", found);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("\"Infinity\"")]
    public void Preprocess_NumberPastDoubleOrInfinite_ThrowsNamingTheValue(string value)
    {
        PipelineAssert.InvalidArgument(() => Numeric("").Preprocess([TempPipeline.Record($$"""{"x": {{value}}}""")]), "'x'", "must be a finite number", value);
    }

    [Fact]
    public void Preprocess_RecordNotAnObject_ThrowsInvalidArgument()
    {
        PipelineAssert.InvalidArgument(() => Numeric("").Preprocess([TempPipeline.Record("[1, 2]")]), "record 0", "object");
    }

    [Fact]
    public void RecordSchema_Penguins_ListsFeaturesAndRequiresNoneWithImpute()
    {
        var pipeline = PipelineLoader.Load(Path.Combine(global::AiServe.Tests.Common.TestPaths.Models, "penguins", "1"))!;

        var schema = pipeline.RecordSchema();
        var example = pipeline.ExampleRecord();

        Assert.Equal(6, schema["properties"]!.AsObject().Count);
        Assert.Empty(schema["required"]!.AsArray());
        Assert.Equal("Biscoe", example["island"]!.GetValue<string>());
        Assert.Single(pipeline.Preprocess([TempPipeline.Record(example.ToJsonString())]));
    }
}
