using System.Net;
using System.Text;
using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Server.Tests.Protocols.OpenInference;

/// <summary>Every datatype through the identity model, as JSON and as binary, both ways.</summary>
public sealed class V2DatatypeTests(DatatypesFactory factory) : IClassFixture<DatatypesFactory>
{
    public static TheoryData<string, string> JsonSamples => new()
    {
        { "BOOL", "[[true, false, true], [false, false, true]]" },
        { "UINT8", "[[0, 1, 2], [127, 128, 255]]" },
        { "UINT16", "[[0, 1, 2], [300, 40000, 65535]]" },
        { "UINT32", "[[0, 1, 2], [70000, 3000000000, 4294967295]]" },
        { "UINT64", "[[0, 1, 2], [1099511627776, 9223372036854775808, 18446744073709551615]]" },
        { "INT8", "[[-128, -1, 0], [1, 2, 127]]" },
        { "INT16", "[[-32768, -1, 0], [1, 300, 32767]]" },
        { "INT32", "[[-2147483648, -1, 0], [1, 70000, 2147483647]]" },
        { "INT64", "[[-9223372036854775808, -1, 0], [1, 1099511627776, 9223372036854775807]]" },
        { "FP16", "[[0, 1.5, -2.25], [65504, 0.000061035156, 0.0999755859375]]" },
        { "BF16", "[[0, 1.5, -2.25], [3.3895314e38, 0.0009994507, 0.10009765625]]" },
        { "FP32", "[[0, 1.5, -2.25], [3.4028235e38, 1e-45, 0.1]]" },
        { "FP64", "[[0, 1.5, -2.25], [1.7976931348623157e308, 5e-324, 0.1]]" },
        { "BYTES", """[["", "a", "héllo"], ["日本", "with space", "x\ny"]]""" },
    };

    [Theory]
    [MemberData(nameof(JsonSamples))]
    public async Task Infer_JsonDatatype_RoundTripsExactly(string datatype, string data)
    {
        var client = await factory.StartAsync();
        var name = datatype.ToLowerInvariant();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/identity/infer",
            Request(name, datatype, $"\"data\": {data}", $"\"outputs\": [{{\"name\": \"out_{name}\"}}]"));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal(datatype, output.GetProperty("datatype").GetString());
        Assert.Equal([2L, 3], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.True(TensorDataTypes.TryParse(datatype, out var type));
        var sent = TensorJson.Decode(JsonDocument.Parse(data).RootElement, "x", type, [2, 3]);
        var received = TensorJson.Decode(output.GetProperty("data"), "x", type, [2, 3]);
        AssertSame(sent, received);
    }

    [Theory]
    [MemberData(nameof(JsonSamples))]
    public async Task Infer_BinaryDatatype_RoundTripsBytes(string datatype, string data)
    {
        var client = await factory.StartAsync();
        var name = datatype.ToLowerInvariant();
        Assert.True(TensorDataTypes.TryParse(datatype, out var type));
        var tensor = TensorJson.Decode(JsonDocument.Parse(data).RootElement, "x", type, [2, 3]);
        var bytes = type == TensorDataType.Bytes
            ? V2Http.EncodeBytesElements(tensor.Elements!.Select(e => e.ToArray()))
            : tensor.Data.ToArray();

        using var response = await V2Http.PostBinaryAsync(client, "/v2/models/identity/infer",
            Request(name, datatype, $"\"parameters\": {{\"binary_data_size\": {bytes.Length}}}", $"\"outputs\": [{{\"name\": \"out_{name}\", \"parameters\": {{\"binary_data\": true}}}}]"),
            bytes);
        var (header, binary) = await V2Http.ReadBinaryResponse(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = Assert.Single(header.GetProperty("outputs").EnumerateArray());
        Assert.Equal(bytes.Length, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Equal(bytes, binary);
    }

    [Fact]
    public async Task Infer_BytesThatAreNotUtf8_RefusedAsJsonAndRawAsBinary()
    {
        var client = await factory.StartAsync();
        byte[] element = [0xff, 0x00, 0xfe];
        var bytes = V2Http.EncodeBytesElements([element]);
        var json = Request("bytes", "BYTES", $"\"parameters\": {{\"binary_data_size\": {bytes.Length}}}", "\"outputs\": [{\"name\": \"out_bytes\"}]")
            .Replace("[2, 3]", "[1, 1]", StringComparison.Ordinal);

        using var asJson = await V2Http.PostBinaryAsync(client, "/v2/models/identity/infer", json, bytes);
        using var asBinary = await V2Http.PostBinaryAsync(client, "/v2/models/identity/infer",
            json.Replace("{\"name\": \"out_bytes\"}", "{\"name\": \"out_bytes\", \"parameters\": {\"binary_data\": true}}", StringComparison.Ordinal), bytes);
        var (_, binary) = await V2Http.ReadBinaryResponse(asBinary);

        // As JSON there is no faithful form (base64 would read as another string): 400 saying how to get it.
        Assert.Equal(HttpStatusCode.BadRequest, asJson.StatusCode);
        var error = await asJson.Content.ReadAsStringAsync();
        Assert.Contains("output 'out_bytes' element 0 is not UTF-8 text", error, StringComparison.Ordinal);
        Assert.Contains("binary_data", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, asBinary.StatusCode);
        Assert.Equal(V2Http.EncodeBytesElements([element]), binary);
    }

    [Fact]
    public async Task Infer_TwoInputsMixedJsonAndBinary_UsesBinaryInOrder()
    {
        var client = await factory.StartAsync();
        float[] a = [1, 2, 3, 4];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
        var json = """
            {"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}},
                        {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}]}
            """;

        using var response = await V2Http.PostBinaryAsync(client, "/v2/models/add/versions/2/infer", json, bytes);
        var (header, _) = await V2Http.ReadBinaryResponse(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([12f, 23, 34, 45], header.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()));
    }

    [Theory]
    [InlineData("1", 11f)]
    [InlineData("2", 12f)]
    public async Task Infer_ExplicitVersion_RunsThatVersion(string version, float first)
    {
        var client = await factory.StartAsync();

        var (_, body) = await V2Http.PostJsonAsync(client, $"/v2/models/add/versions/{version}/infer", """
            {"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]},
                        {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}]}
            """);

        Assert.Equal(first, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle());
        Assert.Equal(version, body.GetProperty("model_version").GetString());
    }

    private static string Request(string name, string datatype, string payload, string outputs)
    {
        // The identity model needs every input; the others get a small valid tensor of their own type.
        var inputs = new StringBuilder();
        foreach (var (other, otherType, sample) in Others)
        {
            if (other == name)
            {
                continue;
            }

            inputs.Append(CultureInvariant($"{{\"name\": \"in_{other}\", \"shape\": [1, 1], \"datatype\": \"{otherType}\", \"data\": [{sample}]}}, "));
        }

        inputs.Append(CultureInvariant($"{{\"name\": \"in_{name}\", \"shape\": [2, 3], \"datatype\": \"{datatype}\", {payload}}}"));
        return $"{{\"inputs\": [{inputs}], {outputs}}}";
    }

    [Fact]
    public async Task Infer_BinaryOutputOfZeroBytes_StillAnsweredAsBinary()
    {
        var client = await factory.StartAsync();
        using var content = new StringContent("""
            {"parameters": {"binary_data_output": true},
             "inputs": [{"name": "a", "shape": [0, 4], "datatype": "FP32", "data": []}, {"name": "b", "shape": [0, 4], "datatype": "FP32", "data": []}]}
            """);

        using var response = await client.PostAsync("/v2/models/add/infer", content);
        var (header, binary) = await V2Http.ReadBinaryResponse(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains(V2Http.HeaderLength) || response.Content.Headers.Contains(V2Http.HeaderLength));
        Assert.Equal(0, header.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Empty(binary);
    }

    private static readonly (string Name, string Type, string Sample)[] Others = TensorDataTypes.All
        .Select(t => (t.ToWireName().ToLowerInvariant(), t.ToWireName(), t switch
        {
            TensorDataType.Bool => "true",
            TensorDataType.Bytes => "\"s\"",
            _ => "1",
        }))
        .ToArray();

    private static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);

    private static void AssertSame(Tensor sent, Tensor received)
    {
        if (sent.DataType == TensorDataType.Bytes)
        {
            Assert.Equal(sent.Elements!.Select(e => e.ToArray()), received.Elements!.Select(e => e.ToArray()));
        }
        else
        {
            Assert.Equal(sent.Data.ToArray(), received.Data.ToArray());
        }
    }
}
