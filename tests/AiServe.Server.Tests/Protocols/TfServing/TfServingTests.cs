using System.Net;
using System.Text;
using AiServe.Server.Protocols.TfServing;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols.TfServing;

public sealed class TfServingTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Fact]
    public async Task Status_Model_ListsEveryVersionAvailable()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v1/models/iris");

        Assert.Equal(HttpStatusCode.OK, status);
        var versions = body.GetProperty("model_version_status").EnumerateArray().ToArray();
        Assert.Equal(["2", "1"], versions.Select(v => v.GetProperty("version").GetString()));
        Assert.All(versions, v =>
        {
            Assert.Equal("AVAILABLE", v.GetProperty("state").GetString());
            Assert.Equal("OK", v.GetProperty("status").GetProperty("error_code").GetString());
            Assert.Equal("", v.GetProperty("status").GetProperty("error_message").GetString());
        });
    }

    [Theory]
    [InlineData("/v1/models/iris/versions/1", "1")]
    [InlineData("/v1/models/iris/labels/stable", "1")]
    [InlineData("/v1/models/iris/labels/canary", "2")]
    public async Task Status_VersionOrLabel_ListsThatVersion(string url, string version)
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(version, Assert.Single(body.GetProperty("model_version_status").EnumerateArray()).GetProperty("version").GetString());
    }

    [Fact]
    public async Task Metadata_Iris_DescribesSignatureDef()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v1/models/iris/versions/1/metadata");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("iris", body.GetProperty("model_spec").GetProperty("name").GetString());
        Assert.Equal("1", body.GetProperty("model_spec").GetProperty("version").GetString());
        var signature = body.GetProperty("metadata").GetProperty("signature_def").GetProperty("signature_def").GetProperty("serving_default");
        var input = signature.GetProperty("inputs").GetProperty("input");
        Assert.Equal("DT_FLOAT", input.GetProperty("dtype").GetString());
        Assert.Equal(["-1", "4"], input.GetProperty("tensor_shape").GetProperty("dim").EnumerateArray().Select(d => d.GetProperty("size").GetString()));
        Assert.Equal("DT_INT64", signature.GetProperty("outputs").GetProperty("label").GetProperty("dtype").GetString());
        Assert.Equal("tensorflow/serving/predict", signature.GetProperty("method_name").GetString());
    }

    [Fact]
    public async Task Predict_RowFormat_ReturnsPredictionPerInstanceMatchingV2()
    {
        var client = await factory.StartAsync();
        var fixture = ModelFixture.Load("iris", "v1.json");
        var rows = fixture.Inputs[0].AsSpan<float>().ToArray().Chunk(4).Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]");

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/iris/versions/1:predict", $$"""{"instances": [{{string.Join(",", rows)}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(30, predictions.Length);
        Assert.Equal(fixture.Output("label").AsSpan<long>().ToArray(), predictions.Select(p => p.GetProperty("label").GetInt64()));
        var expected = fixture.Output("probabilities").AsSpan<float>().ToArray();
        var actual = predictions.SelectMany(p => p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle())).ToArray();
        Assert.All(expected.Zip(actual), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4));
    }

    [Fact]
    public async Task Predict_RowFormatNamedInputs_SameAsUnnamed()
    {
        var client = await factory.StartAsync();

        var (_, named) = await V2Http.PostJsonAsync(client, "/v1/models/iris:predict", """{"instances": [{"input": [5.1, 3.5, 1.4, 0.2]}]}""");
        var (_, plain) = await V2Http.PostJsonAsync(client, "/v1/models/iris:predict", """{"signature_name": "serving_default", "instances": [[5.1, 3.5, 1.4, 0.2]]}""");

        Assert.Equal(plain.GetRawText(), named.GetRawText());
    }

    [Fact]
    public async Task Predict_ColumnarFormat_ReturnsOutputsObject()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/iris/labels/canary:predict",
            """{"inputs": {"input": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([0L, 2], body.GetProperty("outputs").GetProperty("label").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(2, body.GetProperty("outputs").GetProperty("probabilities").GetArrayLength());
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests => new()
    {
        { "/v1/models/iris:predict", """{"instances": [[1,2,3,4]], "inputs": [[1,2,3,4]]}""", HttpStatusCode.BadRequest, "not both" },
        { "/v1/models/iris:predict", """{"signature_name": "serving_default"}""", HttpStatusCode.BadRequest, "needs 'instances' (row format) or 'inputs'" },
        { "/v1/models/iris:predict", """{"signature_name": "classify", "instances": [[1,2,3,4]]}""", HttpStatusCode.BadRequest, "unknown signature_name \"classify\"" },
        { "/v1/models/iris:predict", """{"instances": []}""", HttpStatusCode.BadRequest, "'instances' must be a non-empty array" },
        { "/v1/models/iris:predict", """{"instances": [[1,2,3,4],[1,2]]}""", HttpStatusCode.BadRequest, "every instance must have the same shape" },
        { "/v1/models/iris:predict", """{"inputs": [[1,2,3,4],[1,2]]}""", HttpStatusCode.BadRequest, "ragged list" },
        { "/v1/models/iris:predict", """{"instances": [{"petals": [1,2,3,4]}]}""", HttpStatusCode.BadRequest, "unknown input 'petals'" },
        { "/v1/models/iris:predict", """{"instances": [["a","b","c","d"]]}""", HttpStatusCode.BadRequest, "must hold numbers, found a string" },
        { "/v1/models/iris:predict", """{"instances": [[1,2,3]]}""", HttpStatusCode.BadRequest, "expects [-1,4]" },
        { "/v1/models/iris:predict", """{"instances": """, HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v1/models/iris:predict", """[1]""", HttpStatusCode.BadRequest, "must be a JSON object" },
        { "/v1/models/nope:predict", """{"instances": [[1,2,3,4]]}""", HttpStatusCode.NotFound, "unknown model 'nope'" },
        { "/v1/models/iris/versions/9:predict", """{"instances": [[1,2,3,4]]}""", HttpStatusCode.NotFound, "unknown version 9" },
        { "/v1/models/iris/labels/beta:predict", """{"instances": [[1,2,3,4]]}""", HttpStatusCode.NotFound, "unknown label 'beta'" },
        { "/v1/models/iris/versions/x:predict", """{"instances": [[1,2,3,4]]}""", HttpStatusCode.BadRequest, "not a positive integer" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Predict_BadRequest_ErrorWithTfServingStatus(string url, string json, HttpStatusCode expected, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url, json);

        Assert.Equal(expected, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/models/nope", HttpStatusCode.NotFound)]
    [InlineData("/v1/models/iris/labels/beta", HttpStatusCode.NotFound)]
    [InlineData("/v1/models/iris/versions/5/metadata", HttpStatusCode.NotFound)]
    public async Task StatusAndMetadata_Unknown_Returns404WithError(string url, HttpStatusCode expected)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, url);

        Assert.Equal(expected, status);
        Assert.False(string.IsNullOrEmpty(V2Http.Error(body)));
    }
}

public sealed class TfServingDatatypeTests(DatatypesFactory factory) : IClassFixture<DatatypesFactory>
{
    [Fact]
    public async Task Predict_NamedInputsSingleOutput_PredictionsAreRows()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/add/versions/1:predict",
            """{"instances": [{"a": [1, 2, 3, 4], "b": [10, 20, 30, 40]}, {"a": [0, 0, 0, 0], "b": [1, 1, 1, 1]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = body.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal([11f, 22, 33, 44], rows[0].EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal([1f, 1, 1, 1], rows[1].EnumerateArray().Select(v => v.GetSingle()));
    }

    [Theory]
    [InlineData("""{"instances": [{"a": [1, 2, 3, 4]}]}""", "instance 0 has no input 'b'")]
    [InlineData("""{"instances": [[1, 2, 3, 4]]}""", "each instance must be an object naming them")]
    [InlineData("""{"instances": [{"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]}, [1, 2, 3, 4]]}""", "instance 1 is not an object of named inputs")]
    [InlineData("""{"inputs": [[1, 2, 3, 4]]}""", "'inputs' must be an object naming them")]
    public async Task Predict_MultiInputModelBadRequest_Returns400(string json, string message)
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/add:predict", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_Base64Bytes_DecodedAndReturned()
    {
        var client = await factory.StartAsync();
        var inputs = new List<string>();
        foreach (var type in new[] { "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "fp16", "bf16", "fp32", "fp64" })
        {
            inputs.Add($"\"in_{type}\": [[{(type == "bool" ? "true" : "1")}]]");
        }

        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes("héllo"));
        inputs.Add($$"""
            "in_bytes": [[{"b64": "{{b64}}"}, "plain"]]
            """);

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/identity:predict", "{\"inputs\": {" + string.Join(",", inputs) + "}}");

        // A string tensor named *_bytes is binary in TF Serving's JSON: each element comes back as {"b64": ...}.
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["héllo", "plain"], body.GetProperty("outputs").GetProperty("out_bytes")[0].EnumerateArray()
            .Select(e => Encoding.UTF8.GetString(Convert.FromBase64String(e.GetProperty("b64").GetString()!))));
        Assert.True(body.GetProperty("outputs").GetProperty("out_bool")[0][0].GetBoolean());
    }

    [Fact]
    public async Task Predict_NonFiniteValues_ReadAndWrittenAsTfServingsBareTokens()
    {
        var client = await factory.StartAsync();
        var inputs = new List<string>();
        foreach (var type in new[] { "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "fp16", "bf16" })
        {
            inputs.Add($"\"in_{type}\": [[{(type == "bool" ? "true" : "1")}]]");
        }

        // Bare tokens in, as Python's json.dumps writes them (not standard JSON; TF Serving reads them).
        inputs.Add("\"in_fp32\": [[NaN, Infinity]], \"in_fp64\": [[-Infinity]], \"in_bytes\": [[\"NaN\"]]");
        using var content = new StringContent("{\"inputs\": {" + string.Join(",", inputs) + "}}");

        using var response = await client.PostAsync("/v1/models/identity:predict", content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"out_fp32\":[[NaN,Infinity]]", text, StringComparison.Ordinal);
        Assert.Contains("\"out_fp64\":[[-Infinity]]", text, StringComparison.Ordinal);
        Assert.Contains("\"out_bytes\":[[{\"b64\":\"TmFO\"}]]", text, StringComparison.Ordinal); // the string "NaN" stays a string
    }

    [Theory]
    [InlineData("""{"a": [NaN, -Infinity, Infinity]}""", """{"a": ["NaN", "-Infinity", "Infinity"]}""")]
    [InlineData("""{"NaN": "NaN \" NaN", "b": [NaN]}""", """{"NaN": "NaN \" NaN", "b": ["NaN"]}""")]
    [InlineData("""{"a": [Inf, -Inf, -NaN]}""", """{"a": ["Infinity", "-Infinity", "NaN"]}""")]
    [InlineData("""{"a": NaNa}""", null)]
    [InlineData("""{"a": [1, 2]}""", null)]
    public void QuoteNonFiniteTokens_QuotesBareTokensOnly(string json, string? expected)
    {
        var quoted = TfTensorJson.QuoteNonFiniteTokens(Encoding.UTF8.GetBytes(json));

        Assert.Equal(expected, quoted is null ? null : Encoding.UTF8.GetString(quoted));
    }

    [Theory]
    [InlineData("/v1/models/iris:predict")]
    [InlineData("/v1/models/iris/versions/1:classify")]
    [InlineData("/v1/models/iris/labels/stable:regress")]
    public async Task Get_OnAPostOnlyVerb_Returns405AllowingPost(string url)
    {
        // The status route would read "iris:predict" as a model name and answer 404.
        var client = await factory.StartAsync();

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", response.Content.Headers.Allow.Single());
        Assert.Contains($"GET {url}: the method is not allowed here (allowed: POST)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_FieldGivenTwice_Returns400()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/add:predict", """{"instances": [{"a": [1, 2, 3, 4]}], "instances": [{"a": [5, 6, 7, 8]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("malformed JSON", V2Http.Error(body), StringComparison.Ordinal);
        Assert.Contains("instances", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_InvalidBase64_Returns400()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v1/models/identity:predict", """{"inputs": {"in_bytes": [[{"b64": "%%%"}]]}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid base64", V2Http.Error(body), StringComparison.Ordinal);
    }
}
