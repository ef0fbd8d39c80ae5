using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Regression: {"value"} (one column) or {"values"} per row, after the inverse of the target's scaling.</summary>
internal sealed class RegressionPostprocessor : IPostprocessor
{
    private readonly string _output;
    private readonly Func<double, double> _inverse;

    public RegressionPostprocessor(PostprocessConfig config)
    {
        _output = config.Output ?? "output";
        _inverse = config.InverseScale is { } scale ? Inverse(scale) : static v => v;
    }

    public IReadOnlyList<string> OutputNames => [_output];

    public JsonObject[] Process(IReadOnlyList<Tensor> outputs)
    {
        var (values, rows, columns) = OutputTensors.Read(outputs, _output);
        var answers = new JsonObject[rows];
        for (var r = 0; r < rows; r++)
        {
            answers[r] = columns == 1
                ? new JsonObject { ["value"] = _inverse(values[r]) }
                : new JsonObject { ["values"] = new JsonArray(values.Skip(r * columns).Take(columns).Select(v => (JsonNode)JsonValue.Create(_inverse(v))).ToArray()) };
        }

        return answers;
    }

    private static Func<double, double> Inverse(ScaleConfig scale)
    {
        switch (scale.Method)
        {
            case "standard":
                if (scale.Mean is not { } mean || scale.Std is not { } std || !(std > 0))
                {
                    throw PipelineLoader.Invalid("postprocess.inverse_scale", "standard scaling needs mean and a positive std");
                }

                return v => (v * std) + mean;
            case "minmax":
                if (scale.Min is not { } min || scale.Max is not { } max || !(max > min))
                {
                    throw PipelineLoader.Invalid("postprocess.inverse_scale", "minmax scaling needs min < max");
                }

                return v => (v * (max - min)) + min;
            default:
                throw PipelineLoader.Invalid("postprocess.inverse_scale.method", $"'{scale.Method}' is not supported; use standard or minmax");
        }
    }
}
