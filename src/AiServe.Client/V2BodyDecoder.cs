using System.Text.Json;

namespace AiServe.Client;

/// <summary>
/// Decodes V2 bodies: an infer response (JSON header plus optional binary section), and an infer request written as
/// JSON (so that a request kept in a file can be loaded and re-encoded). Both hold tensors of the same form.
/// </summary>
internal static class V2BodyDecoder
{
    /// <exception cref="FormatException">The body is not a well-formed V2 infer response.</exception>
    public static InferResponse DecodeResponse(ReadOnlySpan<byte> body, int? headerLength)
    {
        var length = headerLength ?? body.Length;
        if (length > body.Length)
        {
            throw new FormatException($"{EncodedInferRequest.HeaderContentLengthName} is {length} but the body has only {body.Length} bytes");
        }

        var binary = body[length..];
        using var document = Parse(body[..length]);
        var root = document.RootElement;
        var modelName = root.TryGetProperty("model_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        var modelVersion = root.TryGetProperty("model_version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var outputs = ReadTensors(root, "outputs", binary);
        return new InferResponse(modelName, modelVersion, id, outputs);
    }

    /// <exception cref="FormatException">The body is not a well-formed JSON V2 infer request.</exception>
    public static InferRequest DecodeRequest(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        var root = document.RootElement;
        var request = new InferRequest(ReadTensors(root, "inputs", default));
        if (request.Inputs.Count == 0)
        {
            throw new FormatException("the request has no 'inputs'");
        }

        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            request.Id = id.GetString();
        }

        if (root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array)
        {
            foreach (var output in outputs.EnumerateArray())
            {
                var name = RequiredString(output, "name", "an element of 'outputs'");
                var binary = output.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                    && p.TryGetProperty("binary_data", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? b.GetBoolean()
                        : (bool?)null;
                request.Outputs.Add(new RequestedOutput(name, binary));
            }
        }

        return request;
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var document = JsonDocument.Parse(json.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new FormatException("the body is not a JSON object");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the body is not valid JSON: {ex.Message}", ex);
        }
    }

    private static List<InferTensor> ReadTensors(JsonElement root, string property, ReadOnlySpan<byte> binary)
    {
        if (!root.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"the body has no '{property}' array");
        }

        var tensors = new List<InferTensor>(array.GetArrayLength());
        var offset = 0;
        foreach (var item in array.EnumerateArray())
        {
            var name = RequiredString(item, "name", $"an element of '{property}'");
            var datatype = RequiredString(item, "datatype", $"'{name}'");
            if (!V2DataTypes.IsKnown(datatype))
            {
                throw new FormatException($"'{name}' has unknown datatype '{datatype}'");
            }

            var shape = ReadShape(item, name);
            // The declared count is only compared with the data, never allocated from (the data is what shows the
            // count real); it must still fit one array, as every decoded tensor is held in one.
            if (!InferTensor.TryGetElementCount(shape, out var count))
            {
                throw new FormatException($"'{name}' has shape [{string.Join(",", shape)}], more than the {Array.MaxLength} elements a tensor can hold");
            }

            Array data;
            if (item.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("binary_data_size", out var sizeElement))
            {
                if (sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt32(out var size) || size < 0)
                {
                    throw new FormatException($"'{name}' has binary_data_size {sizeElement.GetRawText()}, which is not a non-negative integer");
                }

                if (size > binary.Length - offset)
                {
                    throw new FormatException($"'{name}' has binary_data_size {size}, but {binary.Length - offset} bytes of binary data remain");
                }

                data = TensorCodec.ReadBinary(name, datatype, count, binary.Slice(offset, size));
                offset += size;
            }
            else if (item.TryGetProperty("data", out var dataElement))
            {
                data = TensorCodec.ReadJson(name, datatype, count, dataElement);
            }
            else
            {
                throw new FormatException($"'{name}' has neither 'data' nor parameters.binary_data_size");
            }

            tensors.Add(new InferTensor(name, datatype, shape, data));
        }

        if (offset != binary.Length)
        {
            throw new FormatException($"the body has {binary.Length - offset} bytes of binary data that no binary_data_size accounts for");
        }

        return tensors;
    }

    private static long[] ReadShape(JsonElement item, string name)
    {
        if (!item.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"'{name}' has no 'shape' array");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
            {
                throw new FormatException($"'{name}' has a shape whose dimension {i} is {Describe(d)}, not a non-negative integer");
            }

            shape[i++] = dim;
        }

        return shape;
    }

    private static string RequiredString(JsonElement element, string property, string owner)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{owner} is {Describe(element)}, not a JSON object");
        }

        return element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"{owner} has no string '{property}'");
    }

    /// <summary>A JSON value for a message: a number or literal as written, anything else by its kind (it may be long).</summary>
    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetRawText() is { Length: <= 40 } raw ? raw : "a number of over 40 digits",
        JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => value.GetRawText(),
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };
}
