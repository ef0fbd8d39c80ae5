using AiServe.Core.Inference;
using AiServe.Core.Pipelines;

namespace AiServe.Core.Tests.Pipelines;

public sealed class RecommenderPipelineTests
{
    private static IPipeline Recommender(string coldStart = "popular", int maxRows = 65_536) => TempPipeline.Load($$$"""
        {"kind": "recommender", "users": "users.txt", "items": "items.txt", "rated": "rated.json", "popular": "popular.txt",
         "cold_start": "{{{coldStart}}}", "max_rows": {{{maxRows}}}, "postprocess": {"type": "recommendation", "output": "rating", "top_k": 2, "min_rating": 1, "max_rating": 5}}
        """,
        ("users.txt", "u1\nu2\n"), ("items.txt", "a\nb\nc\nd\n"), ("rated.json", """{"u1": ["b"]}"""), ("popular.txt", "d\nc\na\nb\n"));

    private static Tensor Scores(params float[] scores) => Tensor.FromValues<float>("rating", TensorDataType.Fp32, [scores.Length], scores);

    [Fact]
    public void Preprocess_Pairs_MapIdsToLineIndices()
    {
        var tensors = Recommender().Preprocess([TempPipeline.Record("""{"user": "u2", "item": "c"}"""), TempPipeline.Record("""{"user": "u1", "item": "a"}""")]);

        Assert.Equal([1L, 0], tensors[0].AsSpan<long>().ToArray());
        Assert.Equal([2L, 0], tensors[1].AsSpan<long>().ToArray());
    }

    [Fact]
    public void Postprocess_Pair_ClipsRating()
    {
        var record = TempPipeline.Record("""{"user": "u2", "item": "c"}""");

        var answer = Assert.Single(Recommender().Postprocess([Scores(7.5f)], [record]));

        Assert.Equal(5f, answer["rating"]!.GetValue<float>());
        Assert.Equal("c", answer["item"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true, new[] { "c", "a" })]
    [InlineData(false, new[] { "b", "c" })]
    public void Postprocess_TopK_ExcludesRatedWhenAsked(bool exclude, string[] expected)
    {
        var record = TempPipeline.Record($$"""{"user": "u1", "exclude_rated": {{(exclude ? "true" : "false")}}}""");
        var pipeline = Recommender();
        var rows = pipeline.Preprocess([record]);

        var answer = Assert.Single(pipeline.Postprocess([Scores(3f, 9f, 4f, 0.5f)], [record]));

        Assert.Equal([0L, 0, 0, 0], rows[0].AsSpan<long>().ToArray());
        Assert.Equal(expected, answer["items"]!.AsArray().Select(n => n!["item"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"user": "u1"}""", 4, 2)] // a top-k record scores all 4 items
    [InlineData("""{"user": "stranger", "k": 3}""", 5, 2)] // a cold start counts its k
    [InlineData("""{"user": "u1", "item": "a"}""", 5, 6)] // a pair is one row
    public void Preprocess_MoreRowsThanMaxRows_RefusedNamingTheBound(string recordJson, int maxRows, int records)
    {
        var pipeline = Recommender(maxRows: maxRows);
        var many = Enumerable.Repeat(TempPipeline.Record(recordJson), records).ToArray();

        var ex = Assert.Throws<InferenceException>(() => pipeline.Preprocess(many));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.Contains($"more than the {maxRows} one request may have", ex.Message, StringComparison.Ordinal);
        pipeline.Preprocess(many[..^1]); // one record fewer fits
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)] // below the 4 items: every top-k request would be refused
    public void Load_MaxRowsBelowTheItemCount_NamesTheField(int maxRows)
    {
        var ex = Assert.Throws<AiServe.Core.Repository.ModelConfigException>(() => Recommender(maxRows: maxRows));

        Assert.Contains("max_rows", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at least the item count (4", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.0")]
    [InlineData("2e0")]
    public void Postprocess_KWrittenAsWholeDecimal_Taken(string k)
    {
        var record = TempPipeline.Record($$"""{"user": "stranger", "k": {{k}}}""");

        var answer = Assert.Single(Recommender().Postprocess([], [record]));

        Assert.Equal(2, answer["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("2.5")]
    [InlineData("1e400")]
    [InlineData("0")]
    public void Preprocess_KNotAWholeNumberAtLeastOne_Refused(string k)
    {
        var ex = Assert.Throws<InferenceException>(() => Recommender().Preprocess([TempPipeline.Record($$"""{"user": "u1", "k": {{k}}}""")]));

        Assert.Contains("field 'k' must be a whole number >= 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Postprocess_UnknownUserTopK_AnswersPopularItems()
    {
        var record = TempPipeline.Record("""{"user": "stranger", "k": 3}""");

        var answer = Assert.Single(Recommender().Postprocess([], [record]));

        Assert.True(answer["cold_start"]!.GetValue<bool>());
        Assert.Equal(["d", "c", "a"], answer["items"]!.AsArray().Select(n => n!["item"]!.GetValue<string>()));
    }

    [Fact]
    public void Preprocess_UnknownUserWithColdStartError_ThrowsNamingTheUser()
    {
        PipelineAssert.InvalidArgument(() => Recommender("error").Preprocess([TempPipeline.Record("""{"user": "stranger"}""")]), "'user'", "stranger");
    }

    [Fact]
    public void Preprocess_UnknownItem_ThrowsNamingTheItem()
    {
        PipelineAssert.InvalidArgument(() => Recommender().Preprocess([TempPipeline.Record("""{"user": "u1", "item": "zzz"}""")]), "'item'", "zzz");
    }

    [Fact]
    public void Preprocess_BadK_ThrowsNamingTheField()
    {
        PipelineAssert.InvalidArgument(() => Recommender().Preprocess([TempPipeline.Record("""{"user": "u1", "k": 0}""")]), "'k'");
    }
}
