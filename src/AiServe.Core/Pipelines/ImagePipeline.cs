using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;
using SkiaSharp;

namespace AiServe.Core.Pipelines;

/// <summary>kind "image": {"image_b64"} or {"b64"} records (or raw bytes) -> one FP32 image tensor; outputs -> the postprocess answers.</summary>
internal sealed class ImagePipeline : IPipeline
{
    private static readonly string[] Fields = ["image_b64", "b64"];

    private readonly ImagePreprocessor _preprocessor;
    private readonly IPostprocessor _postprocessor;
    private readonly ImagePipelineConfig _config;

    public ImagePipeline(ImagePipelineConfig config)
    {
        _config = config;
        _preprocessor = new ImagePreprocessor(config);
        _postprocessor = Postprocessors.Create(config.Postprocess);
    }

    public string Kind => "image";

    public PipelineAnswers Answers => _postprocessor.Answers;

    public IReadOnlyList<string> OutputNames => _postprocessor.OutputNames;

    public IReadOnlyList<Tensor> Preprocess(IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var images = new ReadOnlyMemory<byte>[records.Count];
        for (var r = 0; r < records.Count; r++)
        {
            images[r] = Decode(records[r], r);
        }

        return [_preprocessor.Encode(images, r => $"record {r}: field '{FieldOf(records[r])}'")];
    }

    public IReadOnlyList<Tensor> PreprocessImages(IReadOnlyList<ReadOnlyMemory<byte>> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return [_preprocessor.Encode(images, i => $"image {i}")];
    }

    public IReadOnlyList<JsonObject> Postprocess(IReadOnlyList<Tensor> outputs, IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        return _postprocessor.Process(outputs);
    }

    public JsonObject RecordSchema() => new()
    {
        ["type"] = "object",
        ["description"] = $"One image (PNG, JPEG, WebP, BMP or GIF; at most {_config.MaxImageBytes} bytes and {_config.MaxImagePixels} pixels), "
            + $"base64 in 'image_b64' (or 'b64'); resized ({_config.Resize}) to {_config.Width}x{_config.Height}.",
        ["properties"] = new JsonObject
        {
            ["image_b64"] = new JsonObject { ["type"] = "string", ["contentEncoding"] = "base64", ["contentMediaType"] = "image/*" },
            ["b64"] = new JsonObject { ["type"] = "string", ["contentEncoding"] = "base64", ["contentMediaType"] = "image/*" },
        },
        ["oneOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("image_b64") }, new JsonObject { ["required"] = new JsonArray("b64") }),
    };

    public JsonNode ExampleRecord()
    {
        // A black PNG of the model's size: valid, small, and made by the same library that decodes it.
        using var bitmap = new SKBitmap(new SKImageInfo(_config.Width, _config.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return new JsonObject { ["image_b64"] = Convert.ToBase64String(png.ToArray()) };
    }

    internal static InferenceException NotAnImagePipeline(string kind) =>
        new(InferenceErrorCode.InvalidArgument, $"raw image uploads (image/* or multipart bodies) need a model with an image pipeline; this model's pipeline is '{kind}': send JSON 'instances'");

    private static string FieldOf(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object && record.TryGetProperty("b64", out _) && !record.TryGetProperty("image_b64", out _) ? "b64" : "image_b64";

    private byte[] Decode(JsonElement record, int index)
    {
        RecordFields.RequireObject(record, index, "with an 'image_b64' field");
        var field = FieldOf(record);
        if (!record.TryGetProperty(field, out var value))
        {
            throw PipelineErrors.Field(index, "image_b64", "is required (base64 of a PNG, JPEG, WebP, BMP or GIF image)");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw PipelineErrors.Field(index, field, $"must be a base64 string, found {PipelineErrors.Describe(value.ValueKind)}");
        }

        var text = value.GetString()!;
        var comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        if (comma >= 0)
        {
            text = text[(comma + 1)..];
        }

        // Bound the work before decoding base64: 4 characters carry 3 bytes.
        if ((long)text.Length / 4 * 3 > _preprocessor.MaxImageBytes + 3)
        {
            throw PipelineErrors.Field(index, field, $"holds about {(long)text.Length / 4 * 3} bytes; at most {_preprocessor.MaxImageBytes} are accepted");
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw PipelineErrors.Field(index, field, "is not valid base64");
        }
    }
}
