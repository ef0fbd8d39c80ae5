using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>kind "text": {"text"} records or bare strings -> input_ids (+ attention_mask) INT64 [N, L]; outputs -> the postprocess answers.</summary>
internal sealed class TextPipeline : IPipeline
{
    private readonly TextPreprocessor _preprocessor;
    private readonly IPostprocessor _postprocessor;

    public TextPipeline(TextPipelineConfig config, string versionDirectory)
    {
        _preprocessor = new TextPreprocessor(config, versionDirectory);
        _postprocessor = Postprocessors.Create(config.Postprocess);
    }

    public string Kind => "text";

    public PipelineAnswers Answers => _postprocessor.Answers;

    public IReadOnlyList<string> OutputNames => _postprocessor.OutputNames;

    public IReadOnlyList<Tensor> Preprocess(IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var texts = new string[records.Count];
        for (var r = 0; r < records.Count; r++)
        {
            texts[r] = Text(records[r], r);
        }

        return _preprocessor.Encode(texts);
    }

    public IReadOnlyList<Tensor> PreprocessImages(IReadOnlyList<ReadOnlyMemory<byte>> images) => throw ImagePipeline.NotAnImagePipeline(Kind);

    public IReadOnlyList<JsonObject> Postprocess(IReadOnlyList<Tensor> outputs, IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        return _postprocessor.Process(outputs);
    }

    public JsonObject RecordSchema() => new()
    {
        ["description"] = "One text: {\"text\": \"...\"} or the bare string.",
        ["oneOf"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["text"] = TextSchema() },
                ["required"] = new JsonArray("text"),
            },
            TextSchema()),
    };

    public JsonNode ExampleRecord() => new JsonObject { ["text"] = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife." };

    private JsonObject TextSchema() => new() { ["type"] = "string", ["maxLength"] = _preprocessor.MaxTextChars };

    private string Text(JsonElement record, int index)
    {
        JsonElement value;
        if (record.ValueKind == JsonValueKind.String)
        {
            value = record;
        }
        else if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("text", out value))
        {
            throw PipelineErrors.Field(index, "text", "is required (a record is {\"text\": \"...\"} or a string)");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw PipelineErrors.Field(index, "text", $"must be a string, found {PipelineErrors.Describe(value.ValueKind)}");
        }

        var text = value.GetString()!;
        if (text.Length > _preprocessor.MaxTextChars)
        {
            throw PipelineErrors.Field(index, "text", $"has {text.Length} characters; at most {_preprocessor.MaxTextChars} are accepted");
        }

        return text;
    }
}
