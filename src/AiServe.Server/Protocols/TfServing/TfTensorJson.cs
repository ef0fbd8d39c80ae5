using System.Buffers;
using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>
/// Tensors as TF Serving's REST API writes them: nested lists following the shape; a string tensor whose name ends
/// in <c>_bytes</c> (and any element that is not UTF-8 text) as <c>{"b64": "..."}</c>; NaN and the infinities as
/// the bare tokens <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>, as TF Serving writes them (Python's json module
/// reads them).
/// </summary>
internal static class TfTensorJson
{
    private static readonly byte[] NaN = "\"NaN\""u8.ToArray();
    private static readonly byte[] Infinity = "\"Infinity\""u8.ToArray();
    private static readonly byte[] MinusInfinity = "\"-Infinity\""u8.ToArray();

    /// <summary>
    /// Writes the tensor nested from dimension <paramref name="fromDim"/> (a scalar for shape []), starting at element
    /// <paramref name="offset"/>.
    /// </summary>
    public static void WriteNested(Utf8JsonWriter writer, Tensor tensor, int fromDim, long offset)
    {
        var shape = tensor.ShapeSpan;
        if (fromDim >= shape.Length)
        {
            WriteElement(writer, tensor, checked((int)offset));
            return;
        }

        long stride = 1;
        for (var d = fromDim + 1; d < shape.Length; d++)
        {
            stride *= shape[d];
        }

        writer.WriteStartArray();
        for (long i = 0; i < shape[fromDim]; i++)
        {
            WriteNested(writer, tensor, fromDim + 1, offset + (i * stride));
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The body with every bare <c>NaN</c>, <c>-NaN</c>, <c>Infinity</c>, <c>Inf</c>, <c>-Infinity</c> and <c>-Inf</c>
    /// outside strings written as a string (<c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>), or null when it has none.
    /// Used only after a body failed to parse.
    /// </summary>
    public static byte[]? QuoteNonFiniteTokens(ReadOnlySpan<byte> json)
    {
        var output = new ArrayBufferWriter<byte>(json.Length + 16);
        var inString = false;
        var found = false;
        var copied = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++; // the escaped character, whatever it is
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
                continue;
            }

            var (length, text) = Token(json[i..]);
            if (length > 0 && (i + length == json.Length || !char.IsAsciiLetterOrDigit((char)json[i + length])))
            {
                output.Write(json[copied..i]);
                output.Write(text);
                copied = i + length;
                i += length - 1;
                found = true;
            }
        }

        if (!found)
        {
            return null;
        }

        output.Write(json[copied..]);
        return output.WrittenSpan.ToArray();

        // The tokens TF Serving's parser reads (RapidJSON's NaN and Inf flag), as the strings the tensor decoder reads.
        static (int Length, byte[] Text) Token(ReadOnlySpan<byte> at) =>
            at.StartsWith("NaN"u8) ? (3, NaN)
            : at.StartsWith("-NaN"u8) ? (4, NaN)
            : at.StartsWith("Infinity"u8) ? (8, Infinity)
            : at.StartsWith("-Infinity"u8) ? (9, MinusInfinity)
            : at.StartsWith("Inf"u8) ? (3, Infinity)
            : at.StartsWith("-Inf"u8) ? (4, MinusInfinity)
            : (0, []);
    }

    private static void WriteElement(Utf8JsonWriter writer, Tensor tensor, int i)
    {
        switch (tensor.DataType)
        {
            case TensorDataType.Bool: writer.WriteBooleanValue(tensor.Data.Span[i] != 0); break;
            case TensorDataType.UInt8: writer.WriteNumberValue(tensor.Data.Span[i]); break;
            case TensorDataType.Int8: writer.WriteNumberValue((sbyte)tensor.Data.Span[i]); break;
            case TensorDataType.UInt16: writer.WriteNumberValue(tensor.AsSpan<ushort>()[i]); break;
            case TensorDataType.Int16: writer.WriteNumberValue(tensor.AsSpan<short>()[i]); break;
            case TensorDataType.UInt32: writer.WriteNumberValue(tensor.AsSpan<uint>()[i]); break;
            case TensorDataType.Int32: writer.WriteNumberValue(tensor.AsSpan<int>()[i]); break;
            case TensorDataType.UInt64: writer.WriteNumberValue(tensor.AsSpan<ulong>()[i]); break;
            case TensorDataType.Int64: writer.WriteNumberValue(tensor.AsSpan<long>()[i]); break;
            case TensorDataType.Fp16: WriteSingle(writer, (float)tensor.AsSpan<Half>()[i]); break;
            case TensorDataType.Bf16: WriteSingle(writer, TensorJson.BFloat16ToSingle(tensor.AsSpan<ushort>()[i])); break;
            case TensorDataType.Fp32: WriteSingle(writer, tensor.AsSpan<float>()[i]); break;
            case TensorDataType.Fp64: WriteDouble(writer, tensor.AsSpan<double>()[i]); break;
            case TensorDataType.Bytes: WriteBytes(writer, tensor.Name, tensor.Elements![i].Span); break;
            default: throw new InferenceException(InferenceErrorCode.Internal, $"unknown datatype {tensor.DataType}");
        }
    }

    private static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, value);
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, value);
        }
    }

    private static void WriteNonFinite(Utf8JsonWriter writer, double value) =>
        writer.WriteRawValue(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8, skipInputValidation: true);

    private static void WriteBytes(Utf8JsonWriter writer, string name, ReadOnlySpan<byte> bytes)
    {
        if (name.EndsWith("_bytes", StringComparison.Ordinal) || !System.Text.Unicode.Utf8.IsValid(bytes))
        {
            writer.WriteStartObject();
            writer.WriteBase64String("b64"u8, bytes);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStringValue(bytes);
        }
    }
}
