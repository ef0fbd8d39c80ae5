using System.Runtime.InteropServices;
using AiServe.Core.Inference;
using SkiaSharp;

namespace AiServe.Core.Pipelines;

/// <summary>
/// Decodes images (PNG, JPEG, WebP, BMP, GIF: what Skia reads) and makes the FP32 input tensor:
/// bounded (bytes, then the header's pixel count, before any pixel is decoded) -> RGB with alpha dropped ->
/// resize (stretch | fit: letterbox on black | crop: centre) -> channels (1: ITU-R 601 luminance as PIL's "L"; 3: RGB)
/// -> invert (255 - p) -> (p / scale - mean[c]) / std[c] -> NCHW or NHWC. Skia objects live only inside one call.
/// </summary>
internal sealed class ImagePreprocessor
{
    private readonly ImagePipelineConfig _config;
    private readonly double[] _mean;
    private readonly double[] _std;

    public ImagePreprocessor(ImagePipelineConfig config)
    {
        _config = config;
        if (config.Channels is not (1 or 3))
        {
            throw PipelineLoader.Invalid("channels", "must be 1 (grayscale) or 3 (RGB)");
        }

        if (config.Width is < 1 or > 16384 || config.Height is < 1 or > 16384)
        {
            throw PipelineLoader.Invalid("width", "width and height must be between 1 and 16384");
        }

        if (config.Resize is not ("stretch" or "fit" or "crop"))
        {
            throw PipelineLoader.Invalid("resize", $"'{config.Resize}' is not supported; use stretch, fit or crop");
        }

        if (config.Layout is not ("NCHW" or "NHWC"))
        {
            throw PipelineLoader.Invalid("layout", $"'{config.Layout}' is not supported; use NCHW or NHWC");
        }

        if (!(config.Scale > 0))
        {
            throw PipelineLoader.Invalid("scale", "must be positive");
        }

        if (config.MaxImageBytes < 1 || config.MaxImagePixels < 1)
        {
            throw PipelineLoader.Invalid("max_image_bytes", "max_image_bytes and max_image_pixels must be positive");
        }

        _mean = PerChannel(config.Mean, 0.0, "mean");
        _std = PerChannel(config.Std, 1.0, "std");
        if (_std.Any(s => !(s > 0)))
        {
            throw PipelineLoader.Invalid("std", "values must be positive");
        }
    }

    public string InputName => _config.Input;

    public long MaxImageBytes => _config.MaxImageBytes;

    public Tensor Encode(IReadOnlyList<ReadOnlyMemory<byte>> images, Func<int, string> describe)
    {
        int w = _config.Width, h = _config.Height, c = _config.Channels;
        var plane = w * h;
        var data = new float[images.Count * plane * c];
        for (var i = 0; i < images.Count; i++)
        {
            var rgba = DecodeResized(images[i].Span, describe(i));
            var output = data.AsSpan(i * plane * c, plane * c);
            for (var p = 0; p < plane; p++)
            {
                int r = rgba[p * 4], g = rgba[(p * 4) + 1], b = rgba[(p * 4) + 2];
                for (var ch = 0; ch < c; ch++)
                {
                    // PIL's convert("L"): integer ITU-R 601-2 luminance with rounding, so gray stays exactly gray.
                    int value = c == 1 ? ((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16 : ch == 0 ? r : ch == 1 ? g : b;
                    if (_config.Invert)
                    {
                        value = 255 - value;
                    }

                    var normalised = ((value / _config.Scale) - _mean[ch]) / _std[ch];
                    var index = _config.Layout == "NCHW" ? (ch * plane) + p : (p * c) + ch;
                    output[index] = (float)normalised;
                }
            }
        }

        long[] shape = _config.Layout == "NCHW" ? [images.Count, c, h, w] : [images.Count, h, w, c];
        return Tensor.FromValues<float>(InputName, TensorDataType.Fp32, shape, data);
    }

    /// <summary>Decodes one image into w*h RGBA bytes (alpha 255) of the pipeline's size.</summary>
    private byte[] DecodeResized(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length > _config.MaxImageBytes)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                $"{what}: the image has {bytes.Length} bytes; at most {_config.MaxImageBytes} are accepted");
        }

        if (bytes.IsEmpty)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"{what}: the image is empty");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InferenceException(InferenceErrorCode.InvalidArgument,
                $"{what}: the bytes are not an image that can be decoded (PNG, JPEG, WebP, BMP or GIF)");
        var (sw, sh) = (codec.Info.Width, codec.Info.Height);
        if ((long)sw * sh > _config.MaxImagePixels)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                $"{what}: the image is {sw}x{sh} = {(long)sw * sh} pixels; at most {_config.MaxImagePixels} are accepted");
        }

        var info = new SKImageInfo(sw, sh, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var source = new SKBitmap(info);
        var result = codec.GetPixels(info, source.GetPixels());
        if (result is not SKCodecResult.Success)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"{what}: the image could not be decoded ({result})");
        }

        // Drop alpha (as PIL's convert("RGB")): the colour of a transparent pixel is kept, not blended.
        var pixels = source.GetPixelSpan();
        for (var i = 3; i < pixels.Length; i += 4)
        {
            pixels[i] = 255;
        }

        int w = _config.Width, h = _config.Height;
        if (sw == w && sh == h)
        {
            return pixels.ToArray();
        }

        return Resize(source, sw, sh, w, h);
    }

    private byte[] Resize(SKBitmap source, int sw, int sh, int w, int h)
    {
        var src = new SKRect(0, 0, sw, sh);
        var dst = new SKRect(0, 0, w, h);
        switch (_config.Resize)
        {
            case "fit":
            {
                var scale = Math.Min((float)w / sw, (float)h / sh);
                var (dw, dh) = (sw * scale, sh * scale);
                dst = SKRect.Create((w - dw) / 2, (h - dh) / 2, dw, dh);
                break;
            }

            case "crop":
            {
                var scale = Math.Max((float)w / sw, (float)h / sh);
                var (cw, ch) = (w / scale, h / scale);
                src = SKRect.Create((sw - cw) / 2, (sh - ch) / 2, cw, ch);
                break;
            }
        }

        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        var output = new byte[w * h * 4];
        var handle = GCHandle.Alloc(output, GCHandleType.Pinned);
        try
        {
            using var surface = SKSurface.Create(info, handle.AddrOfPinnedObject(), w * 4)
                ?? throw new InferenceException(InferenceErrorCode.Internal, "could not create an image surface");
            surface.Canvas.Clear(SKColors.Black);
            using var image = SKImage.FromBitmap(source);
            using var paint = new SKPaint();
            surface.Canvas.DrawImage(image, src, dst, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
            surface.Canvas.Flush();
        }
        finally
        {
            handle.Free();
        }

        return output;
    }

    private double[] PerChannel(List<double>? values, double fallback, string field)
    {
        if (values is null)
        {
            return Enumerable.Repeat(fallback, _config.Channels).ToArray();
        }

        if (values.Count == 1)
        {
            return Enumerable.Repeat(values[0], _config.Channels).ToArray();
        }

        return values.Count == _config.Channels
            ? [.. values]
            : throw PipelineLoader.Invalid(field, $"has {values.Count} values; give 1 or one per channel ({_config.Channels})");
    }
}
