using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Encodes tabular records, feature by feature in pipeline order, into one FP32 [N, width] tensor.</summary>
internal sealed class TabularPreprocessor
{
    private readonly IFeatureStep[] _features;
    private readonly Projection? _projection;
    private readonly int _encodedWidth;
    private readonly bool _flagsOutliers;

    public TabularPreprocessor(TabularPipelineConfig config)
    {
        InputName = config.Input;
        if (config.Features.Count == 0)
        {
            throw PipelineLoader.Invalid("features", "must list at least one feature");
        }

        _features = config.Features.Select((f, i) => Create(f, $"features[{i}]")).ToArray();
        var duplicate = _features.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw PipelineLoader.Invalid("features", $"lists '{duplicate.Key}' twice");
        }

        _encodedWidth = _features.Sum(f => f.Width);
        _flagsOutliers = _features.OfType<NumericFeature>().Any(f => f.FlagsOutliers);
        _projection = config.Projection is { } p ? new Projection(p, _encodedWidth) : null;
    }

    public string InputName { get; }

    public IReadOnlyList<IFeatureStep> Features => _features;

    /// <summary>The column count of the tensor.</summary>
    public int Width => _projection?.Width ?? _encodedWidth;

    public Tensor Encode(IReadOnlyList<JsonElement> records)
    {
        var data = new float[records.Count * Width];
        var row = new double[_encodedWidth];
        var projected = new double[Width];
        for (var r = 0; r < records.Count; r++)
        {
            RecordFields.RequireObject(records[r], r, "of feature fields");
            EncodeRow(records[r], r, row, flags: null);
            var result = row.AsSpan();
            if (_projection is not null)
            {
                _projection.Apply(row, projected);
                result = projected;
            }

            for (var c = 0; c < Width; c++)
            {
                data[(r * Width) + c] = (float)result[c];
            }
        }

        return Tensor.FromValues<float>(InputName, TensorDataType.Fp32, [records.Count, Width], data);
    }

    /// <summary>
    /// The flagged outliers of one record <see cref="Encode"/> accepted (empty when none). The record is encoded
    /// again, as the pipeline keeps nothing between calls; skipped when no feature uses outliers "flag".
    /// </summary>
    public JsonArray Flags(JsonElement record, int recordIndex)
    {
        var flags = new JsonArray();
        if (_flagsOutliers)
        {
            EncodeRow(record, recordIndex, new double[_encodedWidth], flags);
        }

        return flags;
    }

    /// <summary>Writes the record's encoded columns to <paramref name="row"/>; adds each flagged outlier to <paramref name="flags"/> when given.</summary>
    private void EncodeRow(JsonElement record, int recordIndex, Span<double> row, JsonArray? flags)
    {
        var offset = 0;
        foreach (var feature in _features)
        {
            if (feature.Encode(record, recordIndex, row.Slice(offset, feature.Width)) is { } flag)
            {
                flags?.Add(flag);
            }

            offset += feature.Width;
        }
    }

    private static IFeatureStep Create(FeatureConfig config, string path)
    {
        if (string.IsNullOrEmpty(config.Name))
        {
            throw PipelineLoader.Invalid($"{path}.name", "is required");
        }

        return config.Type switch
        {
            "numeric" => new NumericFeature(config, path),
            "boolean" => new BooleanFeature(config, path),
            "categorical" => new CategoricalFeature(config, path),
            _ => throw PipelineLoader.Invalid($"{path}.type", $"'{config.Type}' is not supported; use numeric, boolean or categorical"),
        };
    }
}
