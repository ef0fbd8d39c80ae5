using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AiServe.Server.Tests.Protocols;

/// <summary>
/// Bodies that parse as JSON but hold text that cannot be read (invalid UTF-8 inside a string, an escaped UTF-16
/// surrogate without its pair), and compressed bodies that do not decompress: 400 naming the problem, never a 500.
/// </summary>
public sealed class UnreadableBodyTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    // Written into the JSON text below: an escaped lone high surrogate, and a byte that is not UTF-8 (as "\xff").
    private const string LoneSurrogate = "\\ud800";
    private const string InvalidUtf8 = "\xff";

    private static readonly (string Url, string Json, string Message)[] Bodies =
    [
        // V2: a name, a datatype, a shape element, an input's and the request's parameter key, an output's name, the id.
        ("/v2/models/iris/infer", """{"inputs": [{"name": "in@", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP@", "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": ["@", 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"@": 1}, "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"parameters": {"@": 1}, "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "@"}]}""", "malformed JSON in the request body"),
        ("/v2/models/iris/infer", """{"id": "@", "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "malformed JSON in the request body"),

        // TF Serving: raw tensors (row and columnar), and records through each kind of pipeline.
        ("/v1/models/iris:predict", """{"signature_name": "@", "instances": [[1, 2, 3, 4]]}""", "malformed JSON in the request body"),
        ("/v1/models/iris:predict", """{"inputs": {"@": [[1, 2, 3, 4]]}}""", "malformed JSON in the request body"),
        ("/v1/models/iris:predict", """{"instances": [[1, 2, 3, "@"]]}""", "malformed JSON in the request body"),
        ("/v1/models/penguins:predict", """{"instances": [{"island": "@", "bill_length_mm": 43.2}]}""", "a record holds a value that cannot be read"),
        ("/v1/models/penguins:predict", """{"instances": [{"island": "Dream", "bill_length_mm": "@"}]}""", "a record holds a value that cannot be read"),
        ("/v1/models/austen:predict", """{"instances": [{"text": "It is a truth @"}]}""", "a record holds a value that cannot be read"),
        ("/v1/models/lecturer-ratings:predict", """{"instances": [{"user": "@", "item": "1"}]}""", "a record holds a value that cannot be read"),
        ("/v1/models/fashion-mnist:predict", """{"instances": [{"image_b64": "iVBOR@"}]}""", "a record holds a value that cannot be read"),
        ("/v1/models/penguins:classify", """{"context": {"island": "@"}, "examples": [{"bill_length_mm": 43.2}]}""", "cannot be read"),
        ("/v1/models/penguins:classify", """{"context": {"island": "Dream"}, "examples": [{"sex": "@"}]}""", "cannot be read"),
    ];

    /// <summary>Each body with a lone surrogate, and with invalid UTF-8, where it says "@"; and the word the error has for it.</summary>
    public static TheoryData<string, string, string, bool> Cases()
    {
        var cases = new TheoryData<string, string, string, bool>();
        foreach (var (url, json, message) in Bodies)
        {
            cases.Add(url, json, message, true);
            cases.Add(url, json, message, false);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Post_UnreadableTextInAString_Returns400(string url, string json, string message, bool loneSurrogate)
    {
        var body = loneSurrogate
            ? Encoding.UTF8.GetBytes(json.Replace("@", LoneSurrogate, StringComparison.Ordinal))
            : Encoding.Latin1.GetBytes(json.Replace("@", InvalidUtf8, StringComparison.Ordinal));

        var (status, error) = await PostAsync(url, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains(loneSurrogate ? "surrogate" : "UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_LoneSurrogateInNumberData_Returns400()
    {
        // A string among numbers is read only to see whether it spells NaN or Infinity.
        var (status, error) = await PostAsync("/v2/models/iris/infer",
            Encoding.UTF8.GetBytes("""{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, "\ud800"]}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("malformed JSON in the request body", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/iris/infer", "gzip")]
    [InlineData("/v2/models/iris/infer", "deflate")]
    [InlineData("/v2/models/iris/infer", "br")]
    [InlineData("/v1/models/iris:predict", "br")]
    [InlineData("/v1/models/iris:predict", "gzip")]
    [InlineData("/v1/models/penguins:classify", "gzip")]
    [InlineData("/v1/models/fashion-mnist:predict", "gzip")]
    public async Task Post_CompressedBodyThatDoesNotDecompress_Returns400(string url, string encoding)
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent("""{"instances": [[1, 2, 3, 4]]}"""u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add(encoding);

        using var response = await client.PostAsync(url, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Contains("the request body does not decompress (Content-Encoding)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/iris/infer")]
    [InlineData("/v1/models/iris:predict")]
    public async Task Post_ContentEncodingNotDecoded_Returns415NamingIt(string url)
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent("""{"instances": [[1, 2, 3, 4]]}"""u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("zstd");

        using var response = await client.PostAsync(url, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("gzip, deflate, br", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Contains("Content-Encoding 'zstd' is not supported", error, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, string Error)> PostAsync(string url, byte[] body)
    {
        var client = await factory.StartAsync();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(url, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? "" : JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }
}
