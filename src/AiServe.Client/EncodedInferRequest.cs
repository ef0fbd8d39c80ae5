using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AiServe.Client;

/// <summary>
/// An infer request body encoded once: the bytes and the headers that go with them. Immutable, so one instance can
/// be sent any number of times, from any number of threads, without serialising again (what a load generator needs).
/// </summary>
public sealed class EncodedInferRequest
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private static readonly MediaTypeHeaderValue OctetType = new("application/octet-stream");

    /// <summary>Wraps a body that is already encoded, e.g. a JSON request read from a file.</summary>
    /// <param name="body">The whole body.</param>
    /// <param name="headerLength">The length of the JSON part when binary data follows it (<c>Inference-Header-Content-Length</c>); null for a JSON-only body.</param>
    public EncodedInferRequest(ReadOnlyMemory<byte> body, int? headerLength)
    {
        if (headerLength is < 0 || headerLength > body.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(headerLength), headerLength, $"must be between 0 and the body's length {body.Length}");
        }

        Body = body;
        HeaderLength = headerLength;
    }

    /// <summary>The name of the header that gives the length of the JSON part of a body with binary data.</summary>
    public const string HeaderContentLengthName = "Inference-Header-Content-Length";

    /// <summary>The whole body.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The JSON part's length when binary data follows it; null for a JSON-only body.</summary>
    public int? HeaderLength { get; }

    /// <summary>Encodes <paramref name="request"/> as <paramref name="options"/> say.</summary>
    /// <param name="request">The request.</param>
    /// <param name="options">JSON or binary inputs and outputs; <see cref="InferOptions.Json"/> when null.</param>
    /// <exception cref="ArgumentException">The request has no inputs, a parameter of an unsupported type, or data JSON cannot carry.</exception>
    public static EncodedInferRequest Encode(InferRequest request, InferOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        options ??= InferOptions.Json;
        if (request.Inputs.Count == 0)
        {
            throw new ArgumentException("the request has no inputs", nameof(request));
        }

        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            if (request.Id is not null)
            {
                writer.WriteString("id"u8, request.Id);
            }

            if (request.Parameters.Count > 0 || options.BinaryOutputs)
            {
                writer.WriteStartObject("parameters"u8);
                foreach (var (key, value) in request.Parameters)
                {
                    if (key != "binary_data_output")
                    {
                        WriteParameter(writer, key, value);
                    }
                }

                if (options.BinaryOutputs)
                {
                    writer.WriteBoolean("binary_data_output"u8, true);
                }

                writer.WriteEndObject();
            }

            writer.WriteStartArray("inputs"u8);
            foreach (var input in request.Inputs)
            {
                writer.WriteStartObject();
                writer.WriteString("name"u8, input.Name);
                writer.WriteString("datatype"u8, input.Datatype);
                writer.WriteStartArray("shape"u8);
                foreach (var dim in input.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                if (options.BinaryInputs)
                {
                    writer.WriteStartObject("parameters"u8);
                    writer.WriteNumber("binary_data_size"u8, TensorCodec.BinarySize(input));
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WritePropertyName("data"u8);
                    TensorCodec.WriteJsonData(writer, input);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (request.Outputs.Count > 0)
            {
                writer.WriteStartArray("outputs"u8);
                foreach (var output in request.Outputs)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name"u8, output.Name);
                    // Per-output binary_data as well as the request-level binary_data_output: servers that know
                    // only one of the two still answer as asked.
                    writer.WriteStartObject("parameters"u8);
                    writer.WriteBoolean("binary_data"u8, output.BinaryData ?? options.BinaryOutputs);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        if (!options.BinaryInputs)
        {
            return new EncodedInferRequest(body.WrittenMemory.ToArray(), null);
        }

        var headerLength = body.WrittenCount;
        foreach (var input in request.Inputs)
        {
            TensorCodec.WriteBinary(body, input);
        }

        return new EncodedInferRequest(body.WrittenMemory.ToArray(), headerLength);
    }

    /// <summary>Makes the HTTP content for one send: it shares <see cref="Body"/>, so it copies nothing.</summary>
    public HttpContent CreateContent()
    {
        var content = new ReadOnlyMemoryContent(Body);
        content.Headers.ContentType = HeaderLength is null ? JsonType : OctetType;
        content.Headers.ContentLength = Body.Length;
        return content;
    }

    /// <summary>Adds the request headers the body needs (<c>Inference-Header-Content-Length</c> for binary data).</summary>
    /// <param name="message">The request message to send this body with.</param>
    public void ApplyHeaders(HttpRequestMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (HeaderLength is { } length)
        {
            message.Headers.TryAddWithoutValidation(HeaderContentLengthName, length.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteParameter(Utf8JsonWriter writer, string key, object value)
    {
        switch (value)
        {
            case string s: writer.WriteString(key, s); break;
            case bool b: writer.WriteBoolean(key, b); break;
            case int i: writer.WriteNumber(key, i); break;
            case long l: writer.WriteNumber(key, l); break;
            case double d: writer.WriteNumber(key, d); break;
            default: throw new ArgumentException($"parameter '{key}' is a {value?.GetType().Name ?? "null"}; parameters hold string, bool, int, long or double", nameof(value));
        }
    }
}
