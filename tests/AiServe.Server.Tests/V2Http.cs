using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AiServe.Server.Tests;

/// <summary>Small helpers to speak V2 over HttpClient in tests, with no client library in between.</summary>
public static class V2Http
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return (response.StatusCode, await ReadJson(response));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(HttpClient client, string url, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(url, content);
        return (response.StatusCode, await ReadJson(response));
    }

    /// <summary>Posts a JSON header followed by binary bytes, as the binary tensor data extension does.</summary>
    public static async Task<HttpResponseMessage> PostBinaryAsync(HttpClient client, string url, string json, byte[] binary, int? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var body = header.Concat(binary).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        content.Headers.TryAddWithoutValidation(HeaderLength, (headerLength ?? header.Length).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await client.PostAsync(url, content);
    }

    /// <summary>Splits a response of the binary extension into its JSON part and the bytes after it.</summary>
    public static async Task<(JsonElement Json, byte[] Binary)> ReadBinaryResponse(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.Headers.TryGetValues(HeaderLength, out var values) && !response.Content.Headers.TryGetValues(HeaderLength, out values))
        {
            return (JsonDocument.Parse(bytes).RootElement.Clone(), []);
        }

        var length = int.Parse(values.Single(), System.Globalization.CultureInfo.InvariantCulture);
        return (JsonDocument.Parse(bytes.AsMemory(0, length)).RootElement.Clone(), bytes[length..]);
    }

    /// <summary>The binary encoding of BYTES elements: a 4-byte little-endian length before each.</summary>
    public static byte[] EncodeBytesElements(IEnumerable<byte[]> elements)
    {
        var result = new List<byte>();
        foreach (var element in elements)
        {
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)element.Length);
            result.AddRange(prefix);
            result.AddRange(element);
        }

        return result.ToArray();
    }

    public static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private static async Task<JsonElement> ReadJson(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
