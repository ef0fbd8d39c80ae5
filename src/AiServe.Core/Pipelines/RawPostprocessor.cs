using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>No postprocess section: each answer holds every output's row, by output name.</summary>
internal sealed class RawPostprocessor : IPostprocessor
{
    public PipelineAnswers Answers => PipelineAnswers.Outputs;

    public IReadOnlyList<string> OutputNames => [];

    public JsonObject[] Process(IReadOnlyList<Tensor> outputs)
    {
        var read = outputs.Select(o => (o.Name, Data: OutputTensors.Read(outputs, o.Name))).ToArray();
        var rows = read.Length == 0 ? 0 : read[0].Data.Rows;
        var answers = new JsonObject[rows];
        for (var r = 0; r < rows; r++)
        {
            var answer = new JsonObject();
            foreach (var (name, (values, outputRows, columns)) in read)
            {
                if (outputRows != rows)
                {
                    throw PipelineErrors.Output($"output '{name}' has {outputRows} rows, expected {rows}");
                }

                answer[name] = new JsonArray(values.AsSpan(r * columns, columns).ToArray().Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            }

            answers[r] = answer;
        }

        return answers;
    }
}
