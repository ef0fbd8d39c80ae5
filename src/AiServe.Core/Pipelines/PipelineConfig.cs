using System.Text.Json;

namespace AiServe.Core.Pipelines;

// pipeline.json, one record per kind (the "kind" field picks which). Parsed strictly (snake_case, unknown fields
// are errors) by PipelineLoader; each step's constructor validates the part it reads and throws a
// ModelConfigException naming the field, so a step never runs on values it has not checked.

/// <summary>kind "tabular": one object of fields per record.</summary>
internal sealed record TabularPipelineConfig
{
    public string Kind { get; init; } = "tabular";
    public string Input { get; init; } = "input";
    public List<FeatureConfig> Features { get; init; } = [];
    public ProjectionConfig? Projection { get; init; }
    public PostprocessConfig? Postprocess { get; init; }
}

/// <summary>One feature of a tabular record.</summary>
internal sealed record FeatureConfig
{
    public string Name { get; init; } = "";
    public string Type { get; init; } = "";
    public ImputeConfig? Impute { get; init; }
    public OutliersConfig? Outliers { get; init; }
    public ScaleConfig? Scale { get; init; }
    public EncodeConfig? Encode { get; init; }
}

/// <summary>What a missing value becomes. <see cref="Strategy"/> documents how training chose <see cref="Value"/>.</summary>
internal sealed record ImputeConfig
{
    public string? Strategy { get; init; }
    public JsonElement? Value { get; init; }
}

/// <summary>Outlier handling of a numeric feature: "clip" to [min, max] or "flag" (keep and report).</summary>
internal sealed record OutliersConfig
{
    public string Method { get; init; } = "clip";
    public double Min { get; init; }
    public double Max { get; init; }
}

/// <summary>Scaling of a numeric feature: "standard" (mean, std) or "minmax" (min, max).</summary>
internal sealed record ScaleConfig
{
    public string Method { get; init; } = "";
    public double? Mean { get; init; }
    public double? Std { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
}

/// <summary>Encoding of a categorical feature: "one_hot" or "ordinal"; unknown values "error" | "ignore" | "bucket".</summary>
internal sealed record EncodeConfig
{
    public string Method { get; init; } = "one_hot";
    public List<string> Categories { get; init; } = [];
    public string Unknown { get; init; } = "error";
}

/// <summary>A linear projection of the encoded row: components @ (x - mean).</summary>
internal sealed record ProjectionConfig
{
    public List<double> Mean { get; init; } = [];
    public List<List<double>> Components { get; init; } = [];
}

/// <summary>kind "image".</summary>
internal sealed record ImagePipelineConfig
{
    public string Kind { get; init; } = "image";
    public string Input { get; init; } = "input";
    public int Channels { get; init; } = 3;
    public int Width { get; init; }
    public int Height { get; init; }
    public string Resize { get; init; } = "stretch";
    public bool Invert { get; init; }
    public double Scale { get; init; } = 255.0;
    public List<double>? Mean { get; init; }
    public List<double>? Std { get; init; }
    public string Layout { get; init; } = "NCHW";
    public long MaxImageBytes { get; init; } = 20L * 1024 * 1024;
    public long MaxImagePixels { get; init; } = 40_000_000;
    public PostprocessConfig? Postprocess { get; init; }
}

/// <summary>kind "text".</summary>
internal sealed record TextPipelineConfig
{
    public string Kind { get; init; } = "text";
    public string InputIds { get; init; } = "input_ids";
    public string? AttentionMask { get; init; } = "attention_mask";
    public TokenizerConfig? Tokenizer { get; init; }
    public int MaxLength { get; init; } = 128;
    public int MaxTextChars { get; init; } = 10_000;
    public PostprocessConfig? Postprocess { get; init; }
}

/// <summary>The tokenizer of a text pipeline (BERT WordPiece over a vocab file in the version folder).</summary>
internal sealed record TokenizerConfig
{
    public string Type { get; init; } = "bert_wordpiece";
    public string Vocab { get; init; } = "vocab.txt";
    public bool Lowercase { get; init; } = true;
    public bool StripAccents { get; init; } = true;
    public string UnkToken { get; init; } = "[UNK]";
    public string PadToken { get; init; } = "[PAD]";
    public string ClsToken { get; init; } = "[CLS]";
    public string SepToken { get; init; } = "[SEP]";
}

/// <summary>kind "recommender".</summary>
internal sealed record RecommenderPipelineConfig
{
    public string Kind { get; init; } = "recommender";
    public string UserInput { get; init; } = "user";
    public string ItemInput { get; init; } = "item";
    public string Users { get; init; } = "users.txt";
    public string Items { get; init; } = "items.txt";
    public string? Rated { get; init; }
    public string? Popular { get; init; }
    public string ColdStart { get; init; } = "error";

    /// <summary>
    /// The most rows one request may come to (a pair is one, a top-k record one per item, a cold start its k); at
    /// least the item count. Default 65,536, or the item count when that is larger.
    /// </summary>
    public int? MaxRows { get; init; }
    public PostprocessConfig? Postprocess { get; init; }
}

/// <summary>
/// How model outputs become answers. <see cref="Type"/>: "classification" (probabilities, labels, top_k,
/// apply_softmax, threshold for one-column binary outputs), "regression" (output, inverse_scale), "embedding"
/// (output, normalize), "recommendation" (output, top_k, min_rating, max_rating).
/// </summary>
internal sealed record PostprocessConfig
{
    public string Type { get; init; } = "";
    public string? Probabilities { get; init; }
    public string? Output { get; init; }
    public List<string>? Labels { get; init; }
    public int? TopK { get; init; }
    public bool ApplySoftmax { get; init; }
    public double? Threshold { get; init; }
    public ScaleConfig? InverseScale { get; init; }
    public bool Normalize { get; init; }
    public double? MinRating { get; init; }
    public double? MaxRating { get; init; }
}
