using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiServe.Core.Pipelines;

/// <summary>A boolean feature: true/false (also 1/0 and the strings "true"/"false"/"1"/"0") -> 1/0. One column.</summary>
internal sealed class BooleanFeature : IFeatureStep
{
    private readonly bool? _impute;

    public BooleanFeature(FeatureConfig config, string path)
    {
        Name = config.Name;
        if (config.Encode is not null || config.Scale is not null || config.Outliers is not null)
        {
            throw PipelineLoader.Invalid(path, "a boolean feature takes only impute");
        }

        if (config.Impute?.Value is { } value)
        {
            _impute = value.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? value.GetBoolean()
                : throw PipelineLoader.Invalid($"{path}.impute.value", "must be true or false for a boolean feature");
        }
    }

    public string Name { get; }

    public int Width => 1;

    public bool Required => _impute is null;

    public JsonObject? Encode(JsonElement record, int recordIndex, Span<double> destination)
    {
        bool b;
        if (!RecordFields.TryGet(record, Name, out var value))
        {
            b = _impute ?? throw PipelineErrors.MissingRequired(recordIndex, Name);
        }
        else
        {
            b = value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when value.GetDouble() is 0 or 1 => value.GetDouble() == 1,
                JsonValueKind.String when value.GetString() is "true" or "True" or "1" => true,
                JsonValueKind.String when value.GetString() is "false" or "False" or "0" => false,
                _ => throw PipelineErrors.Field(recordIndex, Name, $"must be true or false, found {PipelineErrors.Describe(value)}"),
            };
        }

        destination[0] = b ? 1 : 0;
        return null;
    }

    public JsonObject Schema() => new() { ["type"] = Required ? "boolean" : new JsonArray("boolean", "null") };

    public JsonNode Example() => JsonValue.Create(_impute ?? true);
}
