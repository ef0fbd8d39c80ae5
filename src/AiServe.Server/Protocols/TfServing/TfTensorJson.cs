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
            TensorJson.WriteElements(writer, tensor, checked((int)offset), 1, JsonValueStyle.TfServing);
            return;
        }

        writer.WriteStartArray();
        if (fromDim == shape.Length - 1)
        {
            // The innermost dimension: one contiguous run of elements.
            TensorJson.WriteElements(writer, tensor, checked((int)offset), checked((int)shape[fromDim]), JsonValueStyle.TfServing);
        }
        else
        {
            long stride = 1;
            for (var d = fromDim + 1; d < shape.Length; d++)
            {
                stride *= shape[d];
            }

            for (long i = 0; i < shape[fromDim]; i++)
            {
                WriteNested(writer, tensor, fromDim + 1, offset + (i * stride));
            }
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
}
