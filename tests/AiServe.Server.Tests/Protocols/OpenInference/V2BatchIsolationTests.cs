using System.Net;
using System.Text.Json.Nodes;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols.OpenInference;

/// <summary>
/// A request whose input the model refuses (a token id past the vocabulary) must fail alone, not take down the
/// valid requests merged into the same run with it.
/// </summary>
public sealed class V2BatchIsolationTests : IDisposable
{
    private const string Url = "/v2/models/austen/infer";

    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Infer_BadRequestMergedWithGoodOnes_OnlyTheBadOneFails()
    {
        // A long queue delay with a preferred batch of 3: the three requests below run as one merged batch first.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Models, "austen", "model.json")))!;
        config["dynamic_batching"] = JsonNode.Parse("""{"max_queue_delay_us": 5000000, "preferred_batch_sizes": [3]}""");
        _repo.CopyModel(TestPaths.Models, "austen").WriteConfig("austen", config.ToJsonString());
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var good = Enumerable.Range(0, 2).Select(_ => V2Http.PostJsonAsync(client, Url, Body(101, 2000, 102))).ToArray();
        var bad = V2Http.PostJsonAsync(client, Url, Body(101, 99_999_999, 102));

        var (badStatus, badBody) = await bad;
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("the model could not run on this input", V2Http.Error(badBody), StringComparison.Ordinal);
        Assert.Contains("99999999", V2Http.Error(badBody), StringComparison.Ordinal);
        foreach (var (status, body) in await Task.WhenAll(good))
        {
            Assert.Equal(HttpStatusCode.OK, status);
            var probabilities = body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(p => p.GetSingle()).ToArray();
            Assert.Equal(6, probabilities.Length);
            Assert.Equal(1.0, probabilities.Sum(), 3);
        }
    }

    private static string Body(params long[] ids) =>
        $$"""
        {"inputs": [
          {"name": "input_ids", "shape": [1, {{ids.Length}}], "datatype": "INT64", "data": [{{string.Join(",", ids)}}]},
          {"name": "attention_mask", "shape": [1, {{ids.Length}}], "datatype": "INT64", "data": [{{string.Join(",", ids.Select(_ => 1))}}]}
        ]}
        """;
}
