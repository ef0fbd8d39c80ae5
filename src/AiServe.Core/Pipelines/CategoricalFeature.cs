using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiServe.Core.Pipelines;

/// <summary>
/// A categorical feature. one_hot: one column per category (+1 last column for unknown="bucket"; "ignore" writes
/// zeros). ordinal: one column, the category's index (unknown: "ignore" -1, "bucket" the category count).
/// unknown="error" rejects values outside the categories.
/// </summary>
internal sealed class CategoricalFeature : IFeatureStep
{
    private readonly string? _impute;
    private readonly bool _oneHot;
    private readonly string _unknown;
    private readonly string[] _categories;
    private readonly Dictionary<string, int> _index;

    public CategoricalFeature(FeatureConfig config, string path)
    {
        Name = config.Name;
        if (config.Scale is not null || config.Outliers is not null)
        {
            throw PipelineLoader.Invalid(path, "a categorical feature takes impute and encode only");
        }

        var encode = config.Encode ?? throw PipelineLoader.Invalid($"{path}.encode", "is required for a categorical feature");
        _oneHot = encode.Method switch
        {
            "one_hot" => true,
            "ordinal" => false,
            _ => throw PipelineLoader.Invalid($"{path}.encode.method", $"'{encode.Method}' is not supported; use one_hot or ordinal"),
        };
        _unknown = encode.Unknown is "error" or "ignore" or "bucket"
            ? encode.Unknown
            : throw PipelineLoader.Invalid($"{path}.encode.unknown", $"'{encode.Unknown}' is not supported; use error, ignore or bucket");
        _categories = [.. encode.Categories];
        if (_categories.Length == 0)
        {
            throw PipelineLoader.Invalid($"{path}.encode.categories", "must list at least one category");
        }

        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _categories.Length; i++)
        {
            if (!_index.TryAdd(_categories[i], i))
            {
                throw PipelineLoader.Invalid($"{path}.encode.categories", $"lists '{_categories[i]}' twice");
            }
        }

        if (config.Impute?.Value is { } value)
        {
            _impute = RecordFields.AsText(value) ?? throw PipelineLoader.Invalid($"{path}.impute.value", "must be a string for a categorical feature");
        }

        Width = _oneHot ? _categories.Length + (_unknown == "bucket" ? 1 : 0) : 1;
    }

    public string Name { get; }

    public int Width { get; }

    public bool Required => _impute is null;

    public JsonObject? Encode(JsonElement record, int recordIndex, Span<double> destination)
    {
        string category;
        if (!RecordFields.TryGet(record, Name, out var value))
        {
            category = _impute ?? throw PipelineErrors.MissingRequired(recordIndex, Name);
        }
        else
        {
            category = RecordFields.AsText(value)
                ?? throw PipelineErrors.Field(recordIndex, Name, $"must be a string, found {PipelineErrors.Describe(value.ValueKind)}");
        }

        // -1: unknown and ignored; _categories.Length: the bucket.
        if (!_index.TryGetValue(category, out var index))
        {
            index = _unknown switch
            {
                "ignore" => -1,
                "bucket" => _categories.Length,
                _ => throw PipelineErrors.Field(recordIndex, Name,
                    $"has unknown category '{category}'; expected one of: {string.Join(", ", _categories)}"),
            };
        }

        if (_oneHot)
        {
            destination[..Width].Clear();
            if (index >= 0)
            {
                destination[index] = 1;
            }
        }
        else
        {
            destination[0] = index;
        }

        return null;
    }

    public JsonObject Schema()
    {
        var schema = new JsonObject { ["type"] = "string" };
        if (_unknown == "error")
        {
            schema["enum"] = new JsonArray(_categories.Select(c => (JsonNode)JsonValue.Create(c)).ToArray());
        }
        else
        {
            schema["examples"] = new JsonArray(_categories.Select(c => (JsonNode)JsonValue.Create(c)).ToArray());
        }

        if (!Required)
        {
            schema["type"] = new JsonArray("string", "null");
            schema["description"] = $"missing (absent, null or \"\") means '{_impute}'";
            if (schema["enum"] is JsonArray values)
            {
                values.Add(null);
            }
        }

        return schema;
    }

    public JsonNode Example() => JsonValue.Create(_impute ?? _categories[0]);
}
