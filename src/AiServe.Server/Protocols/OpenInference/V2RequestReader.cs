using System.Buffers.Binary;
using System.Text.Json;
using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;

namespace AiServe.Server.Protocols.OpenInference;

/// <summary>
/// Decodes a V2 infer request body: JSON (tensor data decoded straight into typed buffers) optionally followed by
/// binary tensor data (the binary extension; those inputs point into the body, no copy). Every mistake is an
/// <see cref="InferenceException"/> with <see cref="InferenceErrorCode.InvalidArgument"/> naming it.
/// </summary>
internal static class V2RequestReader
{
    /// <summary>
    /// Reads a request whose JSON part is <paramref name="jsonLength"/> bytes (the whole body when null). With the
    /// <paramref name="version"/> it is for, each input is checked against the model by its name, datatype and shape
    /// before its data is decoded, so data that could never run costs no decoding.
    /// </summary>
    public static V2InferRequest Read(ReadOnlyMemory<byte> body, int? jsonLength, ModelVersion? version = null)
    {
        var length = jsonLength ?? body.Length;
        if (length < 0 || length > body.Length)
        {
            throw Invalid($"Inference-Header-Content-Length is {length} but the body has only {body.Length} bytes");
        }

        var json = body[..length];
        var binary = body[length..];
        try
        {
            return Parse(json, binary, version);
        }
        catch (Exception ex) when (RequestText.IsMalformed(ex))
        {
            throw RequestText.Malformed(ex);
        }
    }

    /// <summary>Builds the request of raw mode: the whole body is the bytes of the model's only input.</summary>
    public static V2InferRequest ReadRaw(ReadOnlyMemory<byte> body, ModelSignature signature, int maxBatchSize)
    {
        if (signature.Inputs.Count != 1)
        {
            throw Invalid($"a raw binary body (Inference-Header-Content-Length: 0) needs a model with one input; this one has {signature.Inputs.Count}");
        }

        var spec = signature.Inputs[0];
        var shape = (long[])spec.Shape.Clone();
        if (maxBatchSize > 0)
        {
            shape[0] = 1;
        }

        if (shape.Count(d => d < 0) > 1)
        {
            throw Invalid($"a raw binary body needs an input with at most one variable dimension; '{spec.Name}' has shape [{spec.FormatShape()}]");
        }

        var variable = Array.FindIndex(shape, d => d < 0);
        if (variable >= 0)
        {
            // BYTES: the body is one length-prefixed element. Fixed types: the body fills the variable dimension.
            var perRow = spec.DataType.ElementSize() * shape.Where(d => d >= 0).Aggregate(1L, (a, d) => a * d);
            if (spec.DataType != TensorDataType.Bytes && (perRow == 0 || body.Length % perRow != 0))
            {
                throw Invalid($"a raw body of {body.Length} bytes is not a whole number of {spec.DataType.ToWireName()} elements for input '{spec.Name}' [{spec.FormatShape()}]");
            }

            shape[variable] = spec.DataType == TensorDataType.Bytes ? 1 : body.Length / perRow;
        }

        var tensor = FromBinary(spec.Name, spec.DataType, shape, body);
        return new V2InferRequest(new InferenceRequest([tensor]), true, null, rawMode: true);
    }

    private static V2InferRequest Parse(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> binary, ModelVersion? version)
    {
        // Where the reader's span starts in the JSON: it moves on when a tensor's data is scanned past the reader.
        var offset = 0;
        try
        {
            return Parse(json, binary, version, ref offset);
        }
        catch (JsonException) when (offset > 0 && PlainSyntaxError(json.Span) is { } located)
        {
            // The reader was rebuilt past scanned numbers, so its positions skip them: a plain pass over the body
            // finds the same mistake and says where it is. (Only a failing request pays for it.)
            throw located;
        }
    }

    private static JsonException? PlainSyntaxError(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException ex)
        {
            return ex;
        }
    }

    private static V2InferRequest Parse(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> binary, ModelVersion? version, ref int offset)
    {
        var span = json.Span;
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid("the request body must be a JSON object");
        }

        string? id = null;
        var parameters = new RequestParameters();
        List<Tensor>? inputs = null;
        List<string>? outputs = null;
        Dictionary<string, bool>? outputBinary = null; // made for the first output that names its encoding
        var binaryOffset = 0;

        var seen = 0; // the top-level fields read so far, one bit each: a field given twice is refused, not overwritten
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Once(ref seen, 1, "id");
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Invalid("'id' must be a string");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Once(ref seen, 2, "parameters");
                reader.Read();
                ReadParameters(ref reader, ref parameters, static (ref Utf8JsonReader r, string key, ref RequestParameters p) =>
                {
                    switch (key)
                    {
                        case "binary_data_output":
                            p.BinaryDataOutput = ReadBool(ref r, "parameters.binary_data_output");
                            return true;
                        case "priority":
                            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out p.Priority) || p.Priority < 0)
                            {
                                throw Invalid("parameters.priority must be a non-negative integer (1 is the highest priority)");
                            }

                            return true;
                        case "timeout":
                            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var micros) || micros < 0)
                            {
                                throw Invalid("parameters.timeout must be a non-negative integer number of microseconds");
                            }

                            p.Timeout = micros;
                            return true;
                        default:
                            return false;
                    }
                });
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                Once(ref seen, 4, "inputs");
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, "'inputs' must be an array");
                inputs = new List<Tensor>(1); // most requests have one input
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    inputs.Add(ReadInput(ref reader, span, ref offset, binary, ref binaryOffset, inputs.Count, version));
                }
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                Once(ref seen, 8, "outputs");
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, "'outputs' must be an array");
                outputs = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    outputs.Add(ReadOutput(ref reader, outputs.Count, ref outputBinary));
                }

                // An empty list requests nothing in particular: every output, as Triton answers it.
                outputs = outputs.Count > 0 ? outputs : null;
            }
            else
            {
                // Unknown top-level fields are ignored, as the protocol allows for extensions.
                reader.Read();
                reader.Skip();
            }
        }

        // Only white space may follow the root object: reading past it throws a JsonException for anything else (the
        // reader does not allow multiple values), and returns false at the end.
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            reader.Read();
        }

        if (inputs is null || inputs.Count == 0)
        {
            throw Invalid("the request has no 'inputs'");
        }

        if (binaryOffset != binary.Length)
        {
            throw Invalid($"the body has {binary.Length - binaryOffset} bytes of binary data that no input's binary_data_size accounts for");
        }

        return new V2InferRequest(new InferenceRequest(inputs, outputs, id), parameters.BinaryDataOutput, outputBinary, rawMode: false)
        {
            Priority = parameters.Priority,
            TimeoutMicroseconds = parameters.Timeout,
        };
    }

    /// <summary>
    /// Marks a field read (one bit each), refusing it when it was read before: in the request itself, or in its
    /// <paramref name="list"/>[<paramref name="index"/>] object (the words made only when thrown).
    /// </summary>
    private static void Once(ref int seen, int bit, string field, string? list = null, int index = 0)
    {
        if ((seen & bit) != 0)
        {
            throw Invalid($"'{field}' is given more than once in {(list is null ? "the request" : $"{list}[{index}]")}");
        }

        seen |= bit;
    }

    private static Tensor ReadInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref int offset, ReadOnlyMemory<byte> binary, ref int binaryOffset, int index, ModelVersion? version)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"inputs[{index}] must be an object"); // built only when thrown
        }

        string? name = null;
        TensorDataType? dataType = null;
        long[]? shape = null;
        long? binarySize = null;
        Tensor? decoded = null;
        var deferred = false;
        Utf8JsonReader dataAt = default;
        var dataAtOffset = 0;

        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                Once(ref seen, 1, "name", "inputs", index);
                reader.Read();
                name = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Invalid($"inputs[{index}].name must be a string");
            }
            else if (reader.ValueTextEquals("datatype"u8))
            {
                Once(ref seen, 2, "datatype", "inputs", index);
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !TensorDataTypes.TryParse(reader.ValueSpan, out var type))
                {
                    throw Invalid($"input '{name ?? $"#{index}"}' has an unknown datatype {Raw(ref reader)}; use one of {string.Join(", ", TensorDataTypes.All.Select(t => t.ToWireName()))}");
                }

                dataType = type;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                Once(ref seen, 4, "shape", "inputs", index);
                reader.Read();
                shape = ReadShape(ref reader, name ?? $"#{index}");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Once(ref seen, 8, "parameters", "inputs", index);
                reader.Read();
                var parameters = new InputParameters(name, index) { BinarySize = binarySize };
                ReadParameters(ref reader, ref parameters, static (ref Utf8JsonReader r, string key, ref InputParameters p) =>
                {
                    if (key == "binary_data_size")
                    {
                        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var size) || size < 0)
                        {
                            throw Invalid($"parameters.binary_data_size of {p.Owner} must be a non-negative integer");
                        }

                        p.BinarySize = size;
                        return true;
                    }

                    return false;
                });
                binarySize = parameters.BinarySize;
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                Once(ref seen, 16, "data", "inputs", index);
                reader.Read();
                if (name is not null && dataType is { } t && shape is not null)
                {
                    version?.CheckInput(name, t, shape);
                    decoded = DecodeData(ref reader, json, ref offset, name, t, shape);
                }
                else
                {
                    // "data" came before the fields that say how to read it: remember where it is and come back.
                    dataAt = reader;
                    dataAtOffset = offset;
                    deferred = true;
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (name is null)
        {
            throw Invalid($"inputs[{index}] has no 'name'");
        }

        if (dataType is null)
        {
            throw Invalid($"input '{name}' has no 'datatype'");
        }

        if (shape is null)
        {
            throw Invalid($"input '{name}' has no 'shape'");
        }

        if (decoded is null)
        {
            version?.CheckInput(name, dataType.Value, shape);
        }

        var hasData = decoded is not null || deferred;
        if (binarySize is { } bytes)
        {
            if (hasData)
            {
                throw Invalid($"input '{name}' has both 'data' and parameters.binary_data_size; give one");
            }

            if (bytes > binary.Length - binaryOffset)
            {
                throw Invalid($"input '{name}' says binary_data_size {bytes}, but only {binary.Length - binaryOffset} bytes of binary data remain in the body");
            }

            var slice = binary.Slice(binaryOffset, (int)bytes);
            binaryOffset += (int)bytes;
            return FromBinary(name, dataType.Value, shape, slice);
        }

        if (decoded is not null)
        {
            return decoded;
        }

        if (deferred)
        {
            var r = dataAt;
            return DecodeData(ref r, json, ref dataAtOffset, name, dataType.Value, shape);
        }

        throw Invalid($"input '{name}' has no 'data' (or parameters.binary_data_size for binary data)");
    }

    /// <summary>
    /// Decodes an input's <c>data</c>, the reader on its first token. An array of plain numbers is scanned straight
    /// from the bytes (<see cref="JsonNumberArrayScanner"/>), and the reader continues after it: a new reader over the
    /// rest of the JSON, in the state the old one had after the '[', reads the matching ']' next. Anything else goes
    /// through the token reader, which also reports every mistake.
    /// </summary>
    private static Tensor DecodeData(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref int offset, string name, TensorDataType type, long[] shape)
    {
        var at = offset + checked((int)reader.TokenStartIndex);
        if (reader.TokenType == JsonTokenType.StartArray && JsonNumberArrayScanner.TryDecode(json[at..], name, type, shape, out var fast, out var length))
        {
            var state = reader.CurrentState;
            offset = at + length - 1;
            reader = new Utf8JsonReader(json[offset..], isFinalBlock: true, state);
            reader.Read();
            return fast!;
        }

        return TensorJson.Decode(ref reader, name, type, shape, json.Length - at);
    }

    private static string ReadOutput(ref Utf8JsonReader reader, int index, ref Dictionary<string, bool>? outputBinary)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"outputs[{index}] must be an object");
        }

        string? name = null;
        var parameters = new OutputParameters(index);
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                Once(ref seen, 1, "name", "outputs", index);
                reader.Read();
                name = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Invalid($"outputs[{index}].name must be a string");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Once(ref seen, 2, "parameters", "outputs", index);
                reader.Read();
                ReadParameters(ref reader, ref parameters, static (ref Utf8JsonReader r, string key, ref OutputParameters p) =>
                {
                    switch (key)
                    {
                        case "binary_data":
                            p.Binary = ReadBool(ref r, $"{p.Owner}.parameters.binary_data");
                            return true;
                        case "classification":
                            throw new InferenceException(InferenceErrorCode.Unsupported,
                                "the 'classification' output parameter (Triton's classification extension) is not supported by AiServe");
                        default:
                            return false;
                    }
                });
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (name is null)
        {
            throw Invalid($"outputs[{index}] has no 'name'");
        }

        if (parameters.Binary is { } b)
        {
            (outputBinary ??= new Dictionary<string, bool>(StringComparer.Ordinal))[name] = b;
        }

        return name;
    }

    // The parameters objects are read into a struct through a static reader, so that a request without them (the
    // usual one) allocates no closure for them: a lambda capturing the caller's locals would make its closure object
    // at the start of the caller, for every request and every input.
    private delegate bool ParameterReader<TState>(ref Utf8JsonReader reader, string key, ref TState state)
        where TState : struct, IParametersOwner;

    private interface IParametersOwner
    {
        /// <summary>Whose parameters these are, for error messages ("input 'x'").</summary>
        string Owner { get; }
    }

    private static void ReadParameters<TState>(ref Utf8JsonReader reader, ref TState state, ParameterReader<TState> known)
        where TState : struct, IParametersOwner
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"'parameters' of {state.Owner} must be an object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (!known(ref reader, key, ref state))
            {
                reader.Skip();
            }
        }
    }

    private struct RequestParameters : IParametersOwner
    {
        public bool BinaryDataOutput;
        public int Priority;
        public long? Timeout;

        public readonly string Owner => "the request";
    }

    private struct InputParameters(string? name, int index) : IParametersOwner
    {
        public long? BinarySize;

        public readonly string Owner => $"input '{name ?? $"#{index}"}'";
    }

    private struct OutputParameters(int index) : IParametersOwner
    {
        public bool? Binary;

        public readonly string Owner => $"outputs[{index}]";
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid($"shape of input '{name}' must be an array of integers");
        }

        var dims = new List<long>(4);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dim) || dim < 0)
            {
                throw Invalid($"shape of input '{name}' must hold non-negative integers, found {Raw(ref reader)}");
            }

            dims.Add(dim);
        }

        return dims.ToArray();
    }

    /// <summary>Decodes binary tensor data: raw little-endian elements, or length-prefixed elements for BYTES.</summary>
    internal static Tensor FromBinary(string name, TensorDataType dataType, long[] shape, ReadOnlyMemory<byte> bytes)
    {
        var count = TensorShape.ElementCount(shape);
        if (dataType != TensorDataType.Bytes)
        {
            // Compared without multiplying first: a client's shape may claim more bytes than a long holds.
            var size = dataType.ElementSize();
            if (count > bytes.Length / size || count * size != bytes.Length)
            {
                throw Invalid($"input '{name}' of shape [{TensorShape.Format(shape)}] and datatype {dataType.ToWireName()} needs {(decimal)count * size} bytes of binary data, got {bytes.Length}");
            }

            // A BOOL is one byte, 0 or 1: another value would read as true in JSON and pass through as itself in binary.
            if (dataType == TensorDataType.Bool && bytes.Span.IndexOfAnyExcept((byte)0, (byte)1) is var at and >= 0)
            {
                throw Invalid($"binary data of BOOL input '{name}' has byte {bytes.Span[at]} at element {at}; a BOOL is 0 or 1");
            }

            return Tensor.FromBytes(name, dataType, shape, bytes);
        }

        var elements = new List<ReadOnlyMemory<byte>>((int)Math.Min(count, 1 << 16));
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 4)
            {
                throw Invalid($"binary data of BYTES input '{name}' ends inside an element's 4-byte length");
            }

            var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span[offset..]);
            offset += 4;
            if (size > bytes.Length - offset)
            {
                throw Invalid($"binary data of BYTES input '{name}': element {elements.Count} says {size} bytes, only {bytes.Length - offset} remain");
            }

            elements.Add(bytes.Slice(offset, (int)size));
            offset += (int)size;
        }

        if (elements.Count != count)
        {
            throw Invalid($"input '{name}' has shape [{TensorShape.Format(shape)}], which needs {count} elements, but its binary data holds {elements.Count}");
        }

        return Tensor.FromElements(name, shape, elements);
    }

    private static bool ReadBool(ref Utf8JsonReader reader, string what) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Invalid($"{what} must be true or false"),
    };

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token, string message)
    {
        if (reader.TokenType != token)
        {
            throw Invalid(message);
        }
    }

    private static string Raw(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"'{reader.GetString()}'",
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        _ => reader.TokenType.ToString().ToLowerInvariant(),
    };

    private static InferenceException Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);
}
