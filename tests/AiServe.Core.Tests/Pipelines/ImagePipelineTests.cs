using System.Text.Json;
using AiServe.Core.Inference;
using AiServe.Core.Pipelines;
using SkiaSharp;

namespace AiServe.Core.Tests.Pipelines;

public sealed class ImagePipelineTests
{
    private static IPipeline Image(string options) => TempPipeline.Load($$"""{"kind": "image", "input": "x", {{options}} }""");

    /// <summary>A PNG whose pixel (x, y) has the colour <paramref name="colour"/> gives.</summary>
    private static byte[] Png(int width, int height, Func<int, int, SKColor> colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, colour(x, y));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static JsonElement Record(byte[] image, string field = "image_b64") =>
        JsonSerializer.SerializeToElement(new Dictionary<string, string> { [field] = Convert.ToBase64String(image) });

    [Fact]
    public void Preprocess_SameSizeRgb_NormalisesPerChannelInNchw()
    {
        var pipeline = Image(""" "channels": 3, "width": 2, "height": 1, "scale": 255, "mean": [0, 0.5, 0], "std": [1, 0.5, 2], "layout": "NCHW" """);
        var png = Png(2, 1, (x, _) => x == 0 ? new SKColor(255, 0, 51) : new SKColor(0, 255, 102));

        var tensor = Assert.Single(pipeline.Preprocess([Record(png)]));

        Assert.Equal([1L, 3, 1, 2], tensor.Shape);
        Assert.Equal([1f, 0f, -1f, 1f, 0.1f, 0.2f], tensor.AsSpan<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Preprocess_Nhwc_InterleavesChannels()
    {
        var pipeline = Image(""" "channels": 3, "width": 1, "height": 1, "layout": "NHWC" """);
        var png = Png(1, 1, (_, _) => new SKColor(255, 0, 255));

        var tensor = Assert.Single(pipeline.Preprocess([Record(png, "b64")]));

        Assert.Equal([1L, 1, 1, 3], tensor.Shape);
        Assert.Equal([1f, 0f, 1f], tensor.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Preprocess_GrayscaleAndInvert_UsesLuminanceThenInverts()
    {
        var pipeline = Image(""" "channels": 1, "width": 1, "height": 1, "invert": true """);
        var png = Png(1, 1, (_, _) => new SKColor(255, 0, 0));

        var value = Assert.Single(pipeline.Preprocess([Record(png)])[0].AsSpan<float>().ToArray());

        // PIL "L" of pure red: (255 * 19595 + 0x8000) >> 16 = 76; inverted 179.
        Assert.Equal(179f / 255f, value, 1e-6);
    }

    [Fact]
    public void PreprocessImages_StretchResize_UniformImageStaysUniform()
    {
        var pipeline = Image(""" "channels": 1, "width": 4, "height": 4, "resize": "stretch" """);
        var png = Png(10, 6, (_, _) => new SKColor(100, 100, 100));

        var tensor = Assert.Single(pipeline.PreprocessImages([png]));

        Assert.Equal([1L, 1, 4, 4], tensor.Shape);
        Assert.All(tensor.AsSpan<float>().ToArray(), v => Assert.Equal(100f / 255f, v, 1e-6));
    }

    [Fact]
    public void PreprocessImages_FitResize_LetterboxesWithBlack()
    {
        var pipeline = Image(""" "channels": 1, "width": 4, "height": 4, "resize": "fit" """);
        var png = Png(4, 2, (_, _) => SKColors.White);

        var values = pipeline.PreprocessImages([png])[0].AsSpan<float>().ToArray();

        Assert.Equal([0f, 0f, 0f, 0f], values[..4]);
        Assert.Equal([1f, 1f, 1f, 1f], values[4..8]);
        Assert.Equal([0f, 0f, 0f, 0f], values[12..]);
    }

    [Fact]
    public void PreprocessImages_CropResize_KeepsTheCentre()
    {
        var pipeline = Image(""" "channels": 1, "width": 2, "height": 2, "resize": "crop" """);
        var png = Png(6, 2, (x, _) => x is >= 2 and < 4 ? SKColors.White : SKColors.Black);

        var values = pipeline.PreprocessImages([png])[0].AsSpan<float>().ToArray();

        Assert.All(values, v => Assert.Equal(1f, v, 1e-6));
    }

    [Fact]
    public void Preprocess_UndecodableImage_ThrowsNamingTheField()
    {
        var pipeline = Image(""" "channels": 1, "width": 1, "height": 1 """);

        PipelineAssert.InvalidArgument(() => pipeline.Preprocess([Record("not an image"u8.ToArray())]), "record 0", "image_b64", "decoded");
    }

    [Fact]
    public void Preprocess_InvalidBase64_ThrowsNamingTheField()
    {
        var pipeline = Image(""" "channels": 1, "width": 1, "height": 1 """);

        PipelineAssert.InvalidArgument(() => pipeline.Preprocess([TempPipeline.Record("""{"image_b64": "%%%"}""")]), "image_b64", "base64");
    }

    [Fact]
    public void PreprocessImages_TooManyBytes_ThrowsBeforeDecoding()
    {
        var pipeline = Image(""" "channels": 1, "width": 1, "height": 1, "max_image_bytes": 10 """);

        PipelineAssert.InvalidArgument(() => pipeline.PreprocessImages([new byte[11]]), "image 0", "11 bytes", "at most 10");
    }

    [Fact]
    public void Preprocess_TooManyPixels_ThrowsFromTheHeader()
    {
        var pipeline = Image(""" "channels": 1, "width": 1, "height": 1, "max_image_pixels": 100 """);
        var png = Png(20, 10, (_, _) => SKColors.Black);

        PipelineAssert.InvalidArgument(() => pipeline.Preprocess([Record(png)]), "record 0", "20x10", "at most 100");
    }

    [Fact]
    public void ExampleRecord_FashionMnist_PreprocessesToTheModelShape()
    {
        var pipeline = PipelineLoader.Load(Path.Combine(global::AiServe.Tests.Common.TestPaths.Models, "fashion-mnist", "1"))!;

        var tensor = Assert.Single(pipeline.Preprocess([JsonSerializer.SerializeToElement(pipeline.ExampleRecord())]));

        Assert.Equal([1L, 1, 28, 28], tensor.Shape);
        Assert.NotNull(pipeline.RecordSchema()["properties"]!["image_b64"]);
    }

    [Fact]
    public void PreprocessImages_NotAnImagePipeline_ThrowsInvalidArgument()
    {
        var pipeline = TempPipeline.Load("""{"kind": "tabular", "features": [{"name": "x", "type": "numeric"}]}""");

        var ex = Assert.Throws<InferenceException>(() => pipeline.PreprocessImages([new byte[1]]));
        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
    }
}
