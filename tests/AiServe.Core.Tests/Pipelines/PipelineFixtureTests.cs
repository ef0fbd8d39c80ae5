using System.Text.Json;
using AiServe.Core.Inference;
using AiServe.Core.Pipelines;
using AiServe.Tests.Common;

namespace AiServe.Core.Tests.Pipelines;

/// <summary>Parity with the Python side: preprocess of the fixture records and postprocess of its model outputs.</summary>
public sealed class PipelineFixtureTests
{
    public static TheoryData<string> Models => new("penguins", "fashion-mnist", "austen", "lecturer-ratings");

    [Theory]
    [MemberData(nameof(Models))]
    public void Preprocess_FixtureRecords_EqualFixtureTensors(string model)
    {
        var fixture = PipelineFixture.Load(model);
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;

        var tensors = pipeline.Preprocess(fixture.Records);

        Assert.Equal(fixture.Tensors.Select(t => t.Name), tensors.Select(t => t.Name));
        foreach (var expected in fixture.Tensors)
        {
            PipelineAssert.TensorEqual(expected, tensors.Single(t => t.Name == expected.Name), 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Postprocess_FixtureOutputs_EqualFixturePredictions(string model)
    {
        var fixture = PipelineFixture.Load(model);
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;

        var answers = pipeline.Postprocess(fixture.Outputs, fixture.Records);

        Assert.Equal(fixture.Predictions.Count, answers.Count);
        for (var i = 0; i < answers.Count; i++)
        {
            PipelineAssert.PredictionEqual(fixture.Predictions[i], answers[i], 1e-4, $"prediction {i}");
        }
    }

    [Fact]
    public void Preprocess_PenguinsRejectedRecords_ThrowInvalidArgumentNamingTheField()
    {
        var fixture = PipelineFixture.Load("penguins");
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;

        foreach (var rejected in fixture.Root.GetProperty("rejected_records").EnumerateArray())
        {
            var record = rejected.GetProperty("record");
            PipelineAssert.InvalidArgument(() => pipeline.Preprocess([record]), "island", "Atlantis", "Biscoe, Dream, Torgersen");
        }
    }

    [Fact]
    public void Preprocess_AustenRecords_GiveTheFixtureTokens()
    {
        var fixture = PipelineFixture.Load("austen");
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;
        var vocab = File.ReadAllLines(Path.Combine(fixture.VersionDirectory, "vocab.txt"));

        var ids = pipeline.Preprocess(fixture.Records)[0];

        var length = (int)ids.Shape[1];
        var r = 0;
        foreach (var expected in fixture.Root.GetProperty("tokens").EnumerateArray())
        {
            var tokens = expected.EnumerateArray().Select(t => t.GetString()!).ToArray();
            var actual = ids.AsSpan<long>().Slice(r * length, tokens.Length).ToArray().Select(id => vocab[id]).ToArray();
            Assert.Equal(tokens, actual);
            r++;
        }
    }

    [Fact]
    public void Postprocess_LecturerTopK_RanksUnratedItemsByScore()
    {
        var fixture = PipelineFixture.Load("lecturer-ratings");
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;
        var topK = fixture.Root.GetProperty("top_k");
        var record = JsonSerializer.SerializeToElement(new { user = topK.GetProperty("user").GetString(), k = topK.GetProperty("k").GetInt32(), exclude_rated = true });
        var tensors = pipeline.Preprocess([record]);
        var items = tensors.Single(t => t.Name == "item").AsSpan<long>().ToArray();
        var expectedItems = topK.GetProperty("expected_items").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var itemIds = File.ReadAllLines(Path.Combine(fixture.VersionDirectory, "items.txt"));

        // Scores that rank the expected items first, in order, with a higher-scored rated item that must be skipped.
        var rated = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.VersionDirectory, "rated.json"))).RootElement
            .GetProperty(topK.GetProperty("user").GetString()!).EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        var scores = items.Select(i => rated.Contains(itemIds[i]) ? 9f : Array.IndexOf(expectedItems, itemIds[i]) is var at and >= 0 ? 4.5f - (at * 0.1f) : 2f).ToArray();
        var output = Tensor.FromValues<float>("rating", TensorDataType.Fp32, [scores.Length], scores);

        var answer = Assert.Single(pipeline.Postprocess([output], [record]));

        Assert.Equal(expectedItems, answer["items"]!.AsArray().Select(n => n!["item"]!.GetValue<string>()));
        Assert.False(answer["cold_start"]!.GetValue<bool>());
        Assert.Equal(topK.GetProperty("n_rated").GetInt32(), rated.Count);
    }

    [Fact]
    public void Preprocess_LecturerColdStartUser_NeedsNoModelAndAnswersPopularItems()
    {
        var fixture = PipelineFixture.Load("lecturer-ratings");
        var pipeline = PipelineLoader.Load(fixture.VersionDirectory)!;
        var cold = fixture.Root.GetProperty("cold_start_top_k");
        var record = JsonSerializer.SerializeToElement(new { user = cold.GetProperty("user").GetString(), k = cold.GetProperty("k").GetInt32(), exclude_rated = true });

        var tensors = pipeline.Preprocess([record]);
        var answer = Assert.Single(pipeline.Postprocess([], [record]));

        Assert.All(tensors, t => Assert.Equal([0L], t.Shape));
        Assert.True(answer["cold_start"]!.GetValue<bool>());
        Assert.Equal(cold.GetProperty("expected_items").EnumerateArray().Select(e => e.GetString()), answer["items"]!.AsArray().Select(n => n!["item"]!.GetValue<string>()));
    }
}
