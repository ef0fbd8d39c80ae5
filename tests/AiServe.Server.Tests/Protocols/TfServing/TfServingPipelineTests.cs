using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols.TfServing;

/// <summary>Models with a pipeline.json: records in, friendly predictions out, equal to what the training script computed.</summary>
public sealed class TfServingPipelineTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Theory]
    [InlineData("penguins")]
    [InlineData("austen")]
    [InlineData("fashion-mnist")]
    public async Task Predict_FixtureRecords_MatchTrainingFrameworkPredictions(string model)
    {
        var client = await factory.StartAsync();
        var fixture = PipelineFixture.Load(model);
        var instances = "[" + string.Join(",", fixture.Records.Select(r => r.GetRawText())) + "]";

        var (status, body) = await V2Http.PostJsonAsync(client, $"/v1/models/{model}:predict", $$"""{"instances": {{instances}}}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(fixture.Predictions.Count, predictions.Length);
        for (var i = 0; i < predictions.Length; i++)
        {
            Assert.Equal(fixture.Predictions[i].GetProperty("label").GetString(), predictions[i].GetProperty("label").GetString());
            var expected = fixture.Predictions[i].GetProperty("top_k").EnumerateArray().ToArray();
            var actual = predictions[i].GetProperty("top_k").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(e => e.GetProperty("label").GetString()), actual.Select(a => a.GetProperty("label").GetString()));
            Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First.GetProperty("score").GetDouble() - p.Second.GetProperty("score").GetDouble()) <= 1e-4));
        }
    }

    [Fact]
    public async Task Predict_PenguinsRejectedRecord_Returns400NamingFieldAndValue()
    {
        var client = await factory.StartAsync();
        var rejected = PipelineFixture.Load("penguins").Root.GetProperty("rejected_records")[0].GetProperty("record").GetRawText();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:predict", $$"""{"instances": [{{rejected}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("field 'island' has unknown category 'Atlantis'", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"instances": [{"bill_length_mm": "long"}]}""", "field 'bill_length_mm'")]
    [InlineData("""{"instances": [42]}""", "record 0")]
    [InlineData("""{"instances": []}""", "'instances' must be a non-empty array of records")]
    public async Task Predict_PenguinsBadRecord_Returns400(string json, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:predict", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classify_ExamplesWithContext_TopKLabelScorePairs()
    {
        var client = await factory.StartAsync();
        var fixture = PipelineFixture.Load("penguins");
        var record = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(fixture.Records[0].GetRawText())!;
        var island = record["island"].GetRawText();
        record.Remove("island");

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:classify",
            $$"""{"context": {"island": {{island}}}, "examples": [{{JsonSerializer.Serialize(record)}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var pairs = body.GetProperty("results")[0].EnumerateArray().ToArray();
        Assert.Equal(3, pairs.Length);
        Assert.Equal(fixture.Predictions[0].GetProperty("label").GetString(), pairs[0][0].GetString());
        Assert.True(pairs[0][1].GetDouble() >= pairs[1][1].GetDouble());
    }

    [Theory]
    [InlineData("/v1/models/iris:classify", "has no pipeline.json")]
    [InlineData("/v1/models/penguins:regress", "does not regress")]
    [InlineData("/v1/models/penguins:classify", "needs 'examples'")]
    public async Task ClassifyRegress_NotFittingTheModel_Returns400(string url, string message)
    {
        var client = await factory.StartAsync();
        var json = message.Contains("examples", StringComparison.Ordinal) ? """{"instances": []}""" : """{"examples": [{"island": "Dream"}]}""";

        var (status, body) = await V2Http.PostJsonAsync(client, url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_RawPngBody_Classified()
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Models, "fashion-mnist", "samples", "1-pullover.png")));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        using var response = await client.PostAsync("/v1/models/fashion-mnist:predict", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Pullover", body.GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task Predict_MultipartUpload_OnePredictionPerFile()
    {
        var client = await factory.StartAsync();
        using var form = new MultipartFormDataContent();
        foreach (var name in new[] { "0-ankle-boot.png", "2-trouser.png" })
        {
            var file = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Models, "fashion-mnist", "samples", name)));
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", name);
        }

        using var response = await client.PostAsync("/v1/models/fashion-mnist:predict", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Ankle boot", "Trouser"], body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()));
    }

    [Theory]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\u0089PNG--b--\r\n")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"; fil--b--\r\n")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\nabc")]
    public async Task Predict_TruncatedMultipartBody_Returns400(string body)
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent(System.Text.Encoding.Latin1.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        using var response = await client.PostAsync("/v1/models/fashion-mnist:predict", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("malformed multipart body", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("image/png", "not an image that can be decoded")]
    [InlineData("image/jpeg", "not an image that can be decoded")]
    public async Task Predict_UndecodableImage_Returns400(string type, string message)
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent("definitely not pixels"u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(type);

        using var response = await client.PostAsync("/v1/models/fashion-mnist:predict", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_ImageToTabularModel_Returns400()
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Models, "fashion-mnist", "samples", "1-pullover.png")));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        using var response = await client.PostAsync("/v1/models/penguins:predict", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("need a model with an image pipeline; this model's pipeline is 'tabular'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_RecommenderPairsTopKAndColdStart()
    {
        var client = await factory.StartAsync();
        var fixture = PipelineFixture.Load("lecturer-ratings");
        var topK = fixture.Root.GetProperty("top_k");
        var cold = fixture.Root.GetProperty("cold_start_top_k");
        var instances = $$"""
            [{{fixture.Records[0].GetRawText()}},
             {"user": "{{topK.GetProperty("user").GetString()}}", "k": 5, "exclude_rated": true},
             {"user": "{{cold.GetProperty("user").GetString()}}", "k": 5, "exclude_rated": true}]
            """;

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/lecturer-ratings:predict", $$"""{"instances": {{instances}}}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        var expectedRating = fixture.Outputs[0].AsSpan<float>()[0];
        Assert.True(Math.Abs(predictions[0].GetProperty("rating").GetDouble() - Math.Clamp(expectedRating, 1, 5)) <= 1e-4);
        Assert.Equal(topK.GetProperty("expected_items").EnumerateArray().Select(e => e.GetString()),
            predictions[1].GetProperty("items").EnumerateArray().Select(e => e.GetProperty("item").GetString()));
        Assert.True(predictions[2].GetProperty("cold_start").GetBoolean());
        Assert.Equal(cold.GetProperty("expected_items").EnumerateArray().Select(e => e.GetString()),
            predictions[2].GetProperty("items").EnumerateArray().Select(e => e.GetProperty("item").GetString()));
    }

    [Theory]
    // Records the pipeline would refuse, so that an answer naming their fields would show the model was asked first.
    [InlineData("/v1/models/penguins:regress", """{"island": 5}""", "model 'penguins' does not regress: its pipeline answers labels and scores")]
    [InlineData("/v1/models/lecturer-ratings:classify", """{"lecturer": "x"}""", "model 'lecturer-ratings' does not classify: its pipeline answers ratings and recommendations")]
    [InlineData("/v1/models/austen:regress", """{"txt": 1}""", "model 'austen' does not regress")]
    public async Task ClassifyRegress_PipelineNeverGivingThatAnswer_Returns400BeforeReadingTheRecords(string url, string record, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url, $$"""{"examples": [{{record}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regress_RecommenderTopKRecord_Returns400()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/lecturer-ratings:regress", """{"examples": [{"user": "1", "k": 3}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("does not regress these examples", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regress_RecommenderPair_ReturnsRating()
    {
        var client = await factory.StartAsync();
        var fixture = PipelineFixture.Load("lecturer-ratings");

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/lecturer-ratings:regress", $$"""{"examples": [{{fixture.Records[0].GetRawText()}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Predict_UnknownRecommenderItem_Returns400NamingIt()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/lecturer-ratings:predict", """{"instances": [{"user": "1", "item": "no-such-lecturer"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no-such-lecturer", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_PipelineModelColumnarInputs_StillRawTensors()
    {
        var client = await factory.StartAsync();
        var fixture = PipelineFixture.Load("penguins");
        var tensor = fixture.Tensors[0];
        var rows = tensor.AsSpan<float>().ToArray().Chunk((int)tensor.Shape[1]).Take(2)
            .Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]");

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:predict", $$$"""{"inputs": {"input": [{{{string.Join(",", rows)}}}]}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("outputs").GetProperty("probabilities").GetArrayLength());
    }

    [Fact]
    public async Task Predict_ErrorMessages_AreNotHtmlEscaped()
    {
        var client = await factory.StartAsync();
        using var content = new StringContent("""{"instances": [{"island": "Atlantis"}]}""");

        using var response = await client.PostAsync("/v1/models/penguins:predict", content);

        Assert.Contains("field 'island'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_MoreImagesThanMaxBatchSize_RefusedBeforeAnyIsDecoded()
    {
        var client = await factory.StartAsync();
        using var form = new MultipartFormDataContent();
        for (var i = 0; i < 65; i++)
        {
            // Not images at all: the count is refused first, so none of them is ever decoded.
            var file = new ByteArrayContent([1, 2, 3]);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", $"{i}.png");
        }

        using var response = await client.PostAsync("/v1/models/fashion-mnist:predict", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the request has 65 records, more than the max_batch_size 64", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/models/fashion-mnist:predict", """{"instances": [INSTANCES]}""", """{"b64": "AAAA"}""")]
    [InlineData("/v1/models/penguins:classify", """{"examples": [INSTANCES]}""", """{"island": "Atlantis"}""")]
    public async Task PipelineRecordsAboveMaxBatchSize_RefusedBeforeAnyIsPreprocessed(string url, string template, string record)
    {
        var client = await factory.StartAsync();
        var json = template.Replace("INSTANCES", string.Join(",", Enumerable.Repeat(record, 65)), StringComparison.Ordinal);

        var (status, body) = await V2Http.PostJsonAsync(client, url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("the request has 65 records, more than the max_batch_size 64", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classify_ContextCopiedPastTheBodyLimit_Returns400()
    {
        await using var small = new AiServeFactory(TestPaths.Models, maxBodyBytes: 100_000);
        var client = await small.StartAsync();
        var pad = new string('x', 2_000);
        var examples = string.Join(",", Enumerable.Repeat("""{"island": "Dream"}""", 60));

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:classify", $$"""{"context": {"pad": "{{pad}}"}, "examples": [{{examples}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("with the 'context' copied into each come to more than the request body limit of 100000 bytes", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classify_ContextFieldsFillOnlyWhatAnExampleLacks()
    {
        var client = await factory.StartAsync();
        var record = PipelineFixture.Load("penguins").Records[0].GetRawText();

        // The example's own island wins over the context's unknown one (which would be refused if it were used).
        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:classify", $$"""{"context": {"island": "Atlantis"}, "examples": [{{record}}]}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Theory]
    [InlineData("/v1/models/penguins:classify", """{"context": 5, "examples": [{}]}""", "'context' must be an object")]
    [InlineData("/v1/models/penguins:classify", """{"signature_name": "nope", "examples": [{}]}""", "unknown signature_name \"nope\"")]
    [InlineData("/v1/models/penguins:predict", """{"signature_name": 123, "instances": [{}]}""", "unknown signature_name 123")]
    public async Task PipelineRequest_BadContextOrSignatureName_Returns400(string url, string json, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_PipelineSignatureNameServingDefault_Taken()
    {
        var client = await factory.StartAsync();
        var record = PipelineFixture.Load("penguins").Records[0].GetRawText();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/penguins:predict", $$"""{"signature_name": "serving_default", "instances": [{{record}}]}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }
}
