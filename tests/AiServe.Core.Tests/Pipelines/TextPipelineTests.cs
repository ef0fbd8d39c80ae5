using AiServe.Core.Pipelines;

namespace AiServe.Core.Tests.Pipelines;

public sealed class TextPipelineTests
{
    private const string Vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\ncafe\n!\n";

    private static IPipeline Text(int maxLength = 128, int maxChars = 100) => TempPipeline.Load($$"""
        {"kind": "text", "tokenizer": {"type": "bert_wordpiece", "vocab": "vocab.txt"}, "max_length": {{maxLength}}, "max_text_chars": {{maxChars}}}
        """, ("vocab.txt", Vocab));

    [Fact]
    public void Preprocess_Batch_PadsToLongestWithMask()
    {
        var tensors = Text().Preprocess([TempPipeline.Record("""{"text": "Hello World!"}"""), TempPipeline.Record("\"hello\"")]);

        Assert.Equal([2L, 5], tensors[0].Shape);
        Assert.Equal([2L, 5, 6, 8, 3, 2, 5, 3, 0, 0], tensors[0].AsSpan<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 0, 0], tensors[1].AsSpan<long>().ToArray());
    }

    [Fact]
    public void Preprocess_AccentsAndTabs_StrippedAndSplitAsPython()
    {
        var ids = Text().Preprocess([TempPipeline.Record("\"CAFÉ\\thello\"")])[0].AsSpan<long>().ToArray();

        Assert.Equal([2L, 7, 5, 3], ids);
    }

    [Fact]
    public void Preprocess_LongText_TruncatesToMaxLengthKeepingSep()
    {
        var ids = Text(maxLength: 4).Preprocess([TempPipeline.Record("\"hello world hello world\"")])[0].AsSpan<long>().ToArray();

        Assert.Equal([2L, 5, 6, 3], ids);
    }

    [Fact]
    public void Preprocess_OverLongText_ThrowsNamingTheField()
    {
        PipelineAssert.InvalidArgument(() => Text(maxChars: 5).Preprocess([TempPipeline.Record("""{"text": "hello world"}""")]), "record 0", "'text'", "11 characters", "at most 5");
    }

    [Fact]
    public void Preprocess_TextNotAString_ThrowsNamingTheField()
    {
        PipelineAssert.InvalidArgument(() => Text().Preprocess([TempPipeline.Record("""{"text": 5}""")]), "'text'", "a number");
        PipelineAssert.InvalidArgument(() => Text().Preprocess([TempPipeline.Record("""{"words": "x"}""")]), "'text'", "required");
    }

    [Fact]
    public void AccentStripper_Hangul_DecomposesToJamo()
    {
        Assert.Equal("\u1112\u1161\u11AB", AccentStripper.Strip("\uD55C"));
        Assert.Equal("naive role ELAN", AccentStripper.Strip("naïve rôle ÉLAN"));
    }
}
