using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Embedding: {"embedding": [...]} per row, scaled to unit L2 length when "normalize" is set (a zero vector stays zero).</summary>
internal sealed class EmbeddingPostprocessor(PostprocessConfig config) : IPostprocessor
{
    private readonly string _output = config.Output ?? "embedding";
    private readonly bool _normalize = config.Normalize;

    public PipelineAnswers Answers => PipelineAnswers.Embedding;

    public IReadOnlyList<string> OutputNames => [_output];

    public JsonObject[] Process(IReadOnlyList<Tensor> outputs)
    {
        var (values, rows, columns) = OutputTensors.Read(outputs, _output);
        var answers = new JsonObject[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns).ToArray();
            if (_normalize)
            {
                var norm = Math.Sqrt(row.Sum(v => v * v));
                if (norm > 0)
                {
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] /= norm;
                    }
                }
            }

            answers[r] = new JsonObject { ["embedding"] = new JsonArray(row.Select(v => (JsonNode)JsonValue.Create((float)v)).ToArray()) };
        }

        return answers;
    }
}
