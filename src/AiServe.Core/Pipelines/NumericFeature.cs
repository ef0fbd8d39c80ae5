using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiServe.Core.Pipelines;

/// <summary>A numeric feature: impute, then outliers (clip, or flag and keep), then scale (standard or minmax). One column.</summary>
internal sealed class NumericFeature : IFeatureStep
{
    private readonly double? _impute;
    private readonly OutliersConfig? _outliers;
    private readonly Scale _scale;

    public NumericFeature(FeatureConfig config, string path)
    {
        Name = config.Name;
        if (config.Encode is not null)
        {
            throw PipelineLoader.Invalid($"{path}.encode", "is for categorical features");
        }

        if (config.Impute?.Value is { } value)
        {
            _impute = value.ValueKind == JsonValueKind.Number
                ? value.GetDouble()
                : throw PipelineLoader.Invalid($"{path}.impute.value", "must be a number for a numeric feature");
        }

        if (config.Outliers is { } outliers)
        {
            if (outliers.Method is not ("clip" or "flag"))
            {
                throw PipelineLoader.Invalid($"{path}.outliers.method", $"'{outliers.Method}' is not supported; use clip or flag");
            }

            if (!(outliers.Min <= outliers.Max))
            {
                throw PipelineLoader.Invalid($"{path}.outliers", "needs min <= max");
            }

            _outliers = outliers;
        }

        _scale = config.Scale is { } scale ? Scale.From(scale, $"{path}.scale") : Scale.Identity;
    }

    /// <summary>Whether out-of-range values are flagged (and kept) rather than clipped.</summary>
    public bool FlagsOutliers => _outliers?.Method == "flag";

    public string Name { get; }

    public int Width => 1;

    public bool Required => _impute is null;

    public JsonObject? Encode(JsonElement record, int recordIndex, Span<double> destination)
    {
        double x;
        if (!RecordFields.TryGet(record, Name, out var value))
        {
            x = _impute ?? throw PipelineErrors.MissingRequired(recordIndex, Name);
        }
        else
        {
            x = RecordFields.AsNumber(value) switch
            {
                { } number when double.IsFinite(number) => number,
                { } => throw PipelineErrors.Field(recordIndex, Name, $"must be a finite number, found {value.GetRawText()}"),
                null => throw PipelineErrors.Field(recordIndex, Name, $"must be a number, found {PipelineErrors.Describe(value)}"),
            };
        }

        JsonObject? flag = null;
        if (_outliers is { } outliers && (x < outliers.Min || x > outliers.Max))
        {
            if (outliers.Method == "clip")
            {
                x = Math.Clamp(x, outliers.Min, outliers.Max);
            }
            else
            {
                flag = new JsonObject { ["field"] = Name, ["value"] = x, ["min"] = outliers.Min, ["max"] = outliers.Max };
            }
        }

        destination[0] = _scale.Apply(x);
        return flag;
    }

    public JsonObject Schema()
    {
        var schema = new JsonObject { ["type"] = Required ? "number" : new JsonArray("number", "string", "null") };
        if (!Required)
        {
            schema["description"] = $"missing (absent, null, \"\" or \"NaN\") means {_impute}";
        }

        return schema;
    }

    public JsonNode Example() => JsonValue.Create(_impute ?? (_outliers is { } o ? (o.Min + o.Max) / 2 : _scale.Offset));
}
