using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Regression: {"value"} (one column) or {"values"} per row, after the inverse of the target's scaling.</summary>
internal sealed class RegressionPostprocessor : IPostprocessor
{
    private readonly string _output;
    private readonly Scale? _targetScale;

    public RegressionPostprocessor(PostprocessConfig config)
    {
        _output = config.Output ?? "output";
        _targetScale = config.InverseScale is { } scale ? Scale.From(scale, "postprocess.inverse_scale") : null;
    }

    public PipelineAnswers Answers => PipelineAnswers.Regression;

    public IReadOnlyList<string> OutputNames => [_output];

    public JsonObject[] Process(IReadOnlyList<Tensor> outputs)
    {
        var (values, rows, columns) = OutputTensors.Read(outputs, _output);
        var answers = new JsonObject[rows];
        for (var r = 0; r < rows; r++)
        {
            answers[r] = columns == 1
                ? new JsonObject { ["value"] = Unscale(values[r]) }
                : new JsonObject { ["values"] = new JsonArray(values.Skip(r * columns).Take(columns).Select(v => (JsonNode)JsonValue.Create(Unscale(v))).ToArray()) };
        }

        return answers;
    }

    // No inverse_scale: the value as is (not (v * 1) + 0, which would turn -0 into 0).
    private double Unscale(double value) => _targetScale is { } scale ? scale.Invert(value) : value;
}
