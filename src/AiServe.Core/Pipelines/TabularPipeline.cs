using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>kind "tabular": records of fields -> one FP32 [N, features] tensor; outputs -> the postprocess answers (+ flagged outliers).</summary>
internal sealed class TabularPipeline : IPipeline
{
    private readonly TabularPreprocessor _preprocessor;
    private readonly IPostprocessor _postprocessor;

    public TabularPipeline(TabularPipelineConfig config)
    {
        _preprocessor = new TabularPreprocessor(config);
        _postprocessor = Postprocessors.Create(config.Postprocess);
    }

    public string Kind => "tabular";

    public PipelineAnswers Answers => _postprocessor.Answers;

    public IReadOnlyList<string> OutputNames => _postprocessor.OutputNames;

    public IReadOnlyList<Tensor> Preprocess(IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return [_preprocessor.Encode(records)];
    }

    public IReadOnlyList<Tensor> PreprocessImages(IReadOnlyList<ReadOnlyMemory<byte>> images) => throw ImagePipeline.NotAnImagePipeline(Kind);

    public IReadOnlyList<JsonObject> Postprocess(IReadOnlyList<Tensor> outputs, IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(records);
        var answers = _postprocessor.Process(outputs);
        if (records.Count == answers.Length)
        {
            for (var r = 0; r < answers.Length; r++)
            {
                // Values kept by outliers "flag" are reported beside the answer, so a client sees why it may be off.
                if (_preprocessor.Flags(records[r], r) is { Count: > 0 } flags)
                {
                    answers[r]["outliers"] = flags;
                }
            }
        }

        return answers;
    }

    public JsonObject RecordSchema()
    {
        var properties = new JsonObject();
        foreach (var feature in _preprocessor.Features)
        {
            properties[feature.Name] = feature.Schema();
        }

        var required = _preprocessor.Features.Where(f => f.Required).Select(f => (JsonNode)JsonValue.Create(f.Name)).ToArray();
        return new JsonObject
        {
            ["type"] = "object",
            ["description"] = "One record: the features by name; other fields are ignored.",
            ["properties"] = properties,
            ["required"] = new JsonArray(required),
        };
    }

    public JsonNode ExampleRecord()
    {
        var record = new JsonObject();
        foreach (var feature in _preprocessor.Features)
        {
            record[feature.Name] = feature.Example();
        }

        return record;
    }
}
