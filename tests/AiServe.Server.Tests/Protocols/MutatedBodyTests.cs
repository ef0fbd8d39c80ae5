using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols;

/// <summary>
/// Valid requests of every inference endpoint, mutated at random (a value swapped for one of the wrong kind or
/// range, a field dropped or duplicated, bytes changed): every answer is a success or a 4xx with
/// <c>{"error": ...}</c>, never a 5xx. The random source is seeded, so a failure repeats.
/// </summary>
public sealed class MutatedBodyTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    private const int MutationsPerSeed = 150;

    private static readonly string[] WeirdValues =
    [
        "null", "true", "0", "-1", "1", "2147483648", "9223372036854775808", "1e400", "-0.0", "0.5", "\"\"", "\"x\"",
        "\"NaN\"", "\"\\ud800\"", "\"\\u0000\"", "[]", "{}", "[[]]", "[null]", "[1, \"a\"]", "{\"a\": 1}", "[[[[[[[[1]]]]]]]]",
        "{\"b64\": \"%%%\"}", "{\"b64\": \"AAAA\"}", "\"" + new string('A', 3000) + "\"", "99999999", "-99999999", "1e-45",
    ];

    public static TheoryData<string, string> Seeds()
    {
        var penguin = PipelineFixture.Load("penguins").Records[0].GetRawText();
        var ratings = PipelineFixture.Load("lecturer-ratings").Records[0].GetRawText();
        var austen = PipelineFixture.Load("austen").Records[0].GetRawText();
        var image = PipelineFixture.Load("fashion-mnist").Records[0].GetRawText();
        return new()
        {
            { "/v2/models/iris/infer", """{"id": "a", "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6, 3, 4, 1]}], "outputs": [{"name": "label", "parameters": {"binary_data": false}}], "parameters": {"priority": 1, "timeout": 1000000}}""" },
            { "/v2/models/austen/versions/1/infer", """{"inputs": [{"name": "input_ids", "shape": [1, 3], "datatype": "INT64", "data": [101, 2000, 102]}, {"name": "attention_mask", "shape": [1, 3], "datatype": "INT64", "data": [[1, 1, 1]]}]}""" },
            { "/v2/models/lecturer-ratings/infer", """{"inputs": [{"name": "user", "shape": [2], "datatype": "INT64", "data": [1, 2]}, {"name": "item", "shape": [2], "datatype": "INT64", "data": [3, 4]}]}""" },
            { "/v1/models/iris:predict", """{"signature_name": "serving_default", "instances": [[5.1, 3.5, 1.4, 0.2], {"input": [6, 3, 4, 1]}]}""" },
            { "/v1/models/iris/versions/2:predict", """{"inputs": {"input": [[5.1, 3.5, 1.4, 0.2]]}}""" },
            { "/v1/models/penguins:predict", $$"""{"instances": [{{penguin}}, {{penguin}}]}""" },
            { "/v1/models/penguins:classify", $$"""{"context": {"island": "Dream"}, "examples": [{{penguin}}]}""" },
            { "/v1/models/lecturer-ratings:regress", $$"""{"examples": [{{ratings}}]}""" },
            { "/v1/models/austen:predict", $$"""{"instances": [{{austen}}]}""" },
            { "/v1/models/fashion-mnist:classify", $$"""{"examples": [{{image}}]}""" },
        };
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Post_MutatedBody_AnswersSuccessOr4xxWithError(string url, string seed)
    {
        var client = await factory.StartAsync();
        var random = new Random(url.Length * 7919 + seed.Length);
        var failures = new List<string>();
        var successes = 0;
        for (var i = 0; i < MutationsPerSeed && failures.Count < 5; i++)
        {
            var body = random.Next(4) == 0 ? MutateBytes(random, Encoding.UTF8.GetBytes(seed)) : Encoding.UTF8.GetBytes(Mutate(random, JsonNode.Parse(seed)!));
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(url, content);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            successes += status == 200 ? 1 : 0;
            if (!IsClearAnswer(status, text))
            {
                failures.Add($"{status} for {Encoding.UTF8.GetString(body)[..Math.Min(body.Length, 300)]}: {text}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Some mutations leave the request valid: the answers were not all refusals.
        Assert.True(successes > 0, "no mutated request succeeded");
    }

    [Fact]
    public async Task Post_MutatedBinaryExtensionBody_AnswersSuccessOr4xxWithError()
    {
        var client = await factory.StartAsync();
        var random = new Random(4242);
        var failures = new List<string>();
        var successes = 0;
        string[] datatypes = ["FP32", "FP32", "INT64", "BYTES", "FP16", "BOOL", "UINT8"];
        for (var i = 0; i < MutationsPerSeed && failures.Count < 5; i++)
        {
            // A header that may lie about its tensor's size, datatype and shape, bytes that may be too few or too many,
            // and an Inference-Header-Content-Length that may point anywhere.
            var rows = random.Next(-1, 3);
            var size = random.Next(4) == 0 ? random.Next(-2, 40) : Math.Max(rows, 0) * 16;
            var datatype = datatypes[random.Next(datatypes.Length)];
            var binaryOutput = random.Next(2) == 0 ? "true" : "false";
            var header = Encoding.UTF8.GetBytes($$$"""
                {"inputs": [{"name": "input", "shape": [{{{rows}}}, 4], "datatype": "{{{datatype}}}", "parameters": {"binary_data_size": {{{size}}}}}],
                 "outputs": [{"name": "probabilities", "parameters": {"binary_data": {{{binaryOutput}}}}}]}
                """);
            if (random.Next(3) == 0)
            {
                header = MutateBytes(random, header);
            }

            var tensor = new byte[random.Next(4) == 0 ? random.Next(0, 64) : Math.Max(rows, 0) * 16];
            random.NextBytes(tensor);
            var lengths = new[] { header.Length, header.Length, header.Length, 0, -1, header.Length + tensor.Length + 1, random.Next(header.Length + 1) };
            var length = lengths[random.Next(lengths.Length)];
            var (status, text) = await PostBinaryAsync(client, "/v2/models/iris/infer", header, tensor, length);
            successes += status == 200 ? 1 : 0;
            if (!IsClearAnswer(status, text))
            {
                failures.Add($"{status} for header {Encoding.UTF8.GetString(header)}, {tensor.Length} bytes, length {length}: {text}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Some mutations leave the request valid: the answers were not all refusals.
        Assert.True(successes > 0, "no mutated request succeeded");
    }

    private static async Task<(int Status, string Text)> PostBinaryAsync(HttpClient client, string url, byte[] header, byte[] tensor, int headerLength)
    {
        using var content = new ByteArrayContent([.. header, .. tensor]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        content.Headers.TryAddWithoutValidation(V2Http.HeaderLength, headerLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await client.PostAsync(url, content);
        var text = await response.Content.ReadAsStringAsync();

        // A binary answer (binary_data outputs) starts with its JSON header; only errors are read here.
        return ((int)response.StatusCode, text);
    }

    /// <summary>
    /// A success, or a 4xx with an error message; or a 504 for a deadline: a mutated <c>timeout</c> parameter can ask for
    /// one too short for the request (1 µs, say), and a deadline counts from the request's arrival.
    /// </summary>
    private static bool IsClearAnswer(int status, string text) =>
        status < 400
        || status < 500 && HasError(text)
        || status == 504 && HasError(text) && text.Contains("deadline of", StringComparison.Ordinal);

    private static bool HasError(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var error) && error.GetString() is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>One to three structural changes at random places of the document.</summary>
    private static string Mutate(Random random, JsonNode root)
    {
        var changes = random.Next(1, 4);
        for (var c = 0; c < changes; c++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var node = nodes[random.Next(nodes.Count)];
            if (node.Parent is not { } parent)
            {
                continue;
            }

            // A placeholder, replaced by the raw text after serialising: JsonNode cannot write a lone surrogate.
            var weird = JsonValue.Create($"@@{random.Next(WeirdValues.Length)}@@");
            switch (parent, random.Next(4))
            {
                case (JsonObject o, 0):
                    o.Remove(node.GetPropertyName());
                    break;
                case (JsonObject o, 1):
                    o[string.Concat("zz", node.GetPropertyName())] = weird;
                    break;
                case (JsonObject o, _):
                    o[node.GetPropertyName()] = weird;
                    break;
                case (JsonArray a, 0):
                    a.RemoveAt(node.GetElementIndex());
                    break;
                case (JsonArray a, 1):
                    a.Insert(node.GetElementIndex(), node.DeepClone());
                    break;
                case (JsonArray a, _):
                    a[node.GetElementIndex()] = weird;
                    break;
            }
        }

        return System.Text.RegularExpressions.Regex.Replace(root.ToJsonString(), "\"@@([0-9]+)@@\"", m => WeirdValues[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                {
                    Collect(value, nodes);
                }

                break;
            case JsonArray a:
                foreach (var value in a)
                {
                    Collect(value, nodes);
                }

                break;
        }
    }

    /// <summary>Deletes, inserts, overwrites or cuts bytes: malformed JSON and invalid UTF-8.</summary>
    private static byte[] MutateBytes(Random random, byte[] body)
    {
        var bytes = body.ToList();
        var changes = random.Next(1, 5);
        for (var c = 0; c < changes && bytes.Count > 0; c++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, "{}[],:\"0.-e\\\u00ff"u8[random.Next(13)]);
                    break;
                case 2:
                    bytes[at] = (byte)random.Next(256);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
