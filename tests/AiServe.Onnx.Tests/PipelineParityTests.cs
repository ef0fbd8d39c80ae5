using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;
using AiServe.Core.Pipelines;
using AiServe.Core.Repository;
using AiServe.Tests.Common;

namespace AiServe.Onnx.Tests;

/// <summary>End to end against the Python side: records -> pipeline -> the real model -> answers equal the fixture's.</summary>
public sealed class PipelineParityTests
{
    private readonly OnnxModelBackend _backend = new();

    public static TheoryData<string> Models => new("penguins", "fashion-mnist", "austen", "lecturer-ratings");

    [Theory]
    [MemberData(nameof(Models))]
    public void Run_FixtureRecordsThroughPipelineAndModel_EqualFixtureOutputsAndPredictions(string model)
    {
        var fixture = PipelineFixture.Load(model);
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;
        using var instance = _backend.Load(new ModelLoadRequest(model, 1, Path.Combine(fixture.VersionDirectory, "model.onnx"), new ModelConfig()));

        var inputs = pipeline.Preprocess(fixture.Records);
        var outputs = instance.Run(inputs, pipeline.OutputNames.ToArray(), CancellationToken.None);
        var answers = pipeline.Postprocess(outputs, fixture.Records);

        foreach (var output in outputs)
        {
            OnnxModelBackendTests.AssertClose(fixture.Outputs.Single(o => o.Name == output.Name), output, 1e-4);
        }

        Assert.Equal(fixture.Predictions.Count, answers.Count);
        for (var i = 0; i < answers.Count; i++)
        {
            AssertPrediction(fixture.Predictions[i], answers[i], $"prediction {i}");
        }
    }

    [Fact]
    public void Run_LecturerTopK_EqualsFixtureItemsAndRatings()
    {
        var fixture = PipelineFixture.Load("lecturer-ratings");
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;
        using var instance = _backend.Load(new ModelLoadRequest("lecturer-ratings", 1, Path.Combine(fixture.VersionDirectory, "model.onnx"), new ModelConfig()));
        var topK = fixture.Root.GetProperty("top_k");
        var record = JsonSerializer.SerializeToElement(new { user = topK.GetProperty("user").GetString(), k = topK.GetProperty("k").GetInt32(), exclude_rated = true });

        var outputs = instance.Run(pipeline.Preprocess([record]), pipeline.OutputNames.ToArray(), CancellationToken.None);
        var answer = Assert.Single(pipeline.Postprocess(outputs, [record]));

        var items = answer["items"]!.AsArray();
        Assert.Equal(topK.GetProperty("expected_items").EnumerateArray().Select(e => e.GetString()), items.Select(n => n!["item"]!.GetValue<string>()));
        var ratings = topK.GetProperty("expected_ratings").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < ratings.Length; i++)
        {
            Assert.Equal(ratings[i], items[i]!["rating"]!.GetValue<float>(), 1e-4);
        }
    }

    private static void AssertPrediction(JsonElement expected, JsonNode? actual, string where)
    {
        Assert.NotNull(actual);
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject())
                {
                    AssertPrediction(property.Value, actual.AsObject()[property.Name], $"{where}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                var array = actual.AsArray();
                Assert.Equal(expected.GetArrayLength(), array.Count);
                var i = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    AssertPrediction(item, array[i], $"{where}[{i++}]");
                }

                break;
            case JsonValueKind.Number:
                var value = double.Parse(actual.ToJsonString(), CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(expected.GetDouble() - value) <= 1e-4, $"{where}: expected {expected.GetDouble()}, got {value}");
                break;
            default:
                Assert.Equal(expected.ToString(), actual.ToString());
                break;
        }
    }
}
