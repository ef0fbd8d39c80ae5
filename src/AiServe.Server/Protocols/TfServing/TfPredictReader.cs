using System.Text;
using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>
/// Reads a TensorFlow Serving predict body into tensors of the model's signature: the row format
/// (<c>instances</c>: one value, or one object of named inputs, per example, stacked along dimension 0) or the
/// columnar format (<c>inputs</c>: a value, or an object of named values, each a whole batch). Binary strings are
/// <c>{"b64": "..."}</c>.
/// </summary>
internal static class TfPredictReader
{
    /// <summary>The only signature served; TF Serving's default name.</summary>
    public const string DefaultSignature = "serving_default";

    public static (InferenceRequest Request, bool Columnar) Read(JsonElement root, ModelSignature signature)
    {
        try
        {
            return ReadBody(root, signature);
        }
        catch (InvalidOperationException ex) when (RequestText.IsUnreadable(ex))
        {
            throw RequestText.Malformed(ex);
        }
    }

    /// <summary>
    /// Refuses a <c>signature_name</c> other than the one signature AiServe serves (absent, null, "" and
    /// <c>serving_default</c> name it), as TF Serving refuses a name its model does not have.
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument for another name or a name that is not a string.</exception>
    public static void CheckSignatureName(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("signature_name", out var name) && name.ValueKind != JsonValueKind.Null
            && (name.ValueKind != JsonValueKind.String || (name.GetString() is not ("" or DefaultSignature))))
        {
            throw Invalid($"unknown signature_name {name.GetRawText()}; the model has only \"{DefaultSignature}\"");
        }
    }

    private static (InferenceRequest Request, bool Columnar) ReadBody(JsonElement root, ModelSignature signature)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("the request body must be a JSON object with 'instances' or 'inputs'");
        }

        CheckSignatureName(root);
        var hasInstances = root.TryGetProperty("instances", out var instances);
        var hasInputs = root.TryGetProperty("inputs", out var inputs);
        if (hasInstances == hasInputs)
        {
            throw Invalid(hasInstances
                ? "give either 'instances' (row format) or 'inputs' (columnar format), not both"
                : "the request needs 'instances' (row format) or 'inputs' (columnar format)");
        }

        return hasInstances ? (ReadRows(instances, signature), false) : (ReadColumns(inputs, signature), true);
    }

    private static InferenceRequest ReadRows(JsonElement instances, ModelSignature signature)
    {
        if (instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() == 0)
        {
            throw Invalid("'instances' must be a non-empty array, one element per example");
        }

        var rows = instances.EnumerateArray().ToArray();
        var named = IsNamedInputs(rows[0]);
        if (!named && signature.Inputs.Count != 1)
        {
            throw Invalid($"this model has {signature.Inputs.Count} inputs ({Names(signature)}); each instance must be an object naming them");
        }

        var tensors = new List<Tensor>();
        if (named)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                if (!IsNamedInputs(rows[i]))
                {
                    throw Invalid($"instance {i} is not an object of named inputs like instance 0");
                }

                foreach (var property in rows[i].EnumerateObject())
                {
                    if (signature.FindInput(property.Name) is null)
                    {
                        throw Invalid($"instance {i} has unknown input '{property.Name}'; the model has {Names(signature)}");
                    }
                }
            }

            foreach (var spec in signature.Inputs)
            {
                var values = rows.Select((r, i) => r.TryGetProperty(spec.Name, out var v) ? v : throw Invalid($"instance {i} has no input '{spec.Name}'")).ToArray();
                tensors.Add(Stack(spec, values));
            }
        }
        else
        {
            tensors.Add(Stack(signature.Inputs[0], rows));
        }

        return new InferenceRequest(tensors);
    }

    private static InferenceRequest ReadColumns(JsonElement inputs, ModelSignature signature)
    {
        var tensors = new List<Tensor>();
        if (IsNamedInputs(inputs))
        {
            foreach (var property in inputs.EnumerateObject())
            {
                var spec = signature.FindInput(property.Name)
                    ?? throw Invalid($"unknown input '{property.Name}'; the model has {Names(signature)}");
                tensors.Add(Decode(spec, property.Value, Shape(property.Value, spec.Name)));
            }
        }
        else
        {
            if (signature.Inputs.Count != 1)
            {
                throw Invalid($"this model has {signature.Inputs.Count} inputs ({Names(signature)}); 'inputs' must be an object naming them");
            }

            var spec = signature.Inputs[0];
            tensors.Add(Decode(spec, inputs, Shape(inputs, spec.Name)));
        }

        return new InferenceRequest(tensors);
    }

    /// <summary>Stacks one value per example along a new dimension 0.</summary>
    private static Tensor Stack(TensorSpec spec, JsonElement[] values)
    {
        var inner = Shape(values[0], spec.Name);
        for (var i = 1; i < values.Length; i++)
        {
            if (!Shape(values[i], spec.Name).AsSpan().SequenceEqual(inner))
            {
                throw Invalid($"input '{spec.Name}' has shape [{TensorShape.Format(Shape(values[i], spec.Name))}] in instance {i} but [{TensorShape.Format(inner)}] in instance 0; every instance must have the same shape");
            }
        }

        long[] shape = [values.Length, .. inner];
        if (spec.DataType == TensorDataType.Bytes)
        {
            var elements = new List<ReadOnlyMemory<byte>>();
            foreach (var value in values)
            {
                CollectBytes(value, spec.Name, elements);
            }

            return Tensor.FromElements(spec.Name, shape, elements);
        }

        var json = new StringBuilder("[");
        for (var i = 0; i < values.Length; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(values[i].GetRawText());
        }

        json.Append(']');
        using var document = JsonDocument.Parse(json.ToString());
        return TensorJson.Decode(document.RootElement, spec.Name, spec.DataType, shape);
    }

    private static Tensor Decode(TensorSpec spec, JsonElement value, long[] shape)
    {
        if (spec.DataType != TensorDataType.Bytes)
        {
            return TensorJson.Decode(value, spec.Name, spec.DataType, shape);
        }

        var elements = new List<ReadOnlyMemory<byte>>();
        CollectBytes(value, spec.Name, elements);
        return Tensor.FromElements(spec.Name, shape, elements);
    }

    /// <summary>The shape of a nested JSON value; ragged lists are an error.</summary>
    private static long[] Shape(JsonElement value, string input)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            if (value.ValueKind == JsonValueKind.Object && !IsBinary(value))
            {
                throw Invalid($"input '{input}' holds an object; values are numbers, booleans, strings, {{\"b64\": ...}} or lists of them");
            }

            return [];
        }

        var length = value.GetArrayLength();
        if (length == 0)
        {
            return [0];
        }

        var items = value.EnumerateArray().ToArray();
        var inner = Shape(items[0], input);
        for (var i = 1; i < items.Length; i++)
        {
            if (!Shape(items[i], input).AsSpan().SequenceEqual(inner))
            {
                throw Invalid($"input '{input}' is a ragged list: its elements have different shapes");
            }
        }

        return [length, .. inner];
    }

    private static void CollectBytes(JsonElement value, string input, List<ReadOnlyMemory<byte>> elements)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    CollectBytes(item, input, elements);
                }

                break;
            case JsonValueKind.String:
                elements.Add(Encoding.UTF8.GetBytes(value.GetString()!));
                break;
            case JsonValueKind.Object when IsBinary(value):
                try
                {
                    elements.Add(Convert.FromBase64String(value.GetProperty("b64").GetString()!));
                }
                catch (FormatException)
                {
                    throw Invalid($"input '{input}' has a \"b64\" value that is not valid base64");
                }

                break;
            default:
                throw Invalid($"input '{input}' holds strings or {{\"b64\": ...}} values, found {value.ValueKind.ToString().ToLowerInvariant()}");
        }
    }

    private static bool IsNamedInputs(JsonElement value) => value.ValueKind == JsonValueKind.Object && !IsBinary(value);

    private static bool IsBinary(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("b64", out var b64) && b64.ValueKind == JsonValueKind.String
        && value.EnumerateObject().Count() == 1;

    private static string Names(ModelSignature signature) => string.Join(", ", signature.Inputs.Select(i => $"'{i.Name}'"));

    private static InferenceException Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);
}
