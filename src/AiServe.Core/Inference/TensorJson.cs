using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;
using AiServe.Shared;

namespace AiServe.Core.Inference;

/// <summary>
/// Reads tensor elements from JSON arrays (flat or nested, row-major) and writes them as one flat array, straight
/// between UTF-8 JSON and the tensor's little-endian bytes: no intermediate object per element. Reading is shared by
/// every JSON protocol, and so is writing elements (<see cref="WriteElements"/>): V2 writes one flat array, TF Serving
/// its nested lists (<c>TfTensorJson</c>), each in its own <see cref="JsonValueStyle"/>.
/// </summary>
public static class TensorJson
{
    /// <summary>
    /// Decodes the JSON value at the reader (an array, nested arrays, or a single scalar for a shape of one
    /// element) into a tensor of <paramref name="dataType"/> and <paramref name="shape"/>. On return the reader is
    /// on the value's last token.
    /// </summary>
    /// <param name="reader">The reader, on the value's first token.</param>
    /// <param name="name">The tensor's name, for error messages.</param>
    /// <param name="dataType">The element type to produce.</param>
    /// <param name="shape">The declared concrete shape.</param>
    /// <param name="jsonBytesLeft">How many bytes of JSON remain from the value's start (bounds the allocation).</param>
    /// <exception cref="InferenceException">An element has the wrong JSON type or is out of range, or the count does not match the shape.</exception>
    public static Tensor Decode(ref Utf8JsonReader reader, string name, TensorDataType dataType, long[] shape, long jsonBytesLeft)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count;
        try
        {
            count = TensorShape.ElementCount(shape);
        }
        catch (InferenceException ex)
        {
            throw Invalid($"input '{name}': {ex.Message}");
        }

        // Every element takes at least one byte of JSON, so a shape claiming more elements than bytes remain is
        // wrong; checking first keeps a small body from making the server allocate a huge buffer.
        if (count > jsonBytesLeft)
        {
            throw Invalid($"input '{name}' has shape [{TensorShape.Format(shape)}] ({count} elements) but its data holds fewer elements");
        }

        if (dataType == TensorDataType.Bytes)
        {
            var elements = new List<ReadOnlyMemory<byte>>((int)Math.Min(count, 1 << 16));
            ReadLeaves(ref reader, name, ref elements, static (ref Utf8JsonReader r, string n, ref List<ReadOnlyMemory<byte>> list) =>
            {
                if (r.TokenType != JsonTokenType.String)
                {
                    throw Invalid($"input '{n}' of datatype BYTES must hold strings, found {Describe(r.TokenType)}");
                }

                list.Add(r.ValueIsEscaped ? Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan.ToArray());
            });
            if (elements.Count != count)
            {
                throw CountMismatch(name, shape, count, elements.Count);
            }

            return Tensor.FromElements(name, shape, elements);
        }

        var size = dataType.ElementSize();
        var buffer = new byte[checked(count * size)];
        var state = new FixedState(buffer, dataType, size);
        ReadLeaves(ref reader, name, ref state, static (ref Utf8JsonReader r, string n, ref FixedState s) => s.Write(ref r, n));
        if (state.Written != count)
        {
            throw CountMismatch(name, shape, count, state.Written);
        }

        return Tensor.FromBytes(name, dataType, shape, buffer);
    }

    /// <summary>Decodes a standalone JSON value (e.g. warm-up data from model.json).</summary>
    public static Tensor Decode(JsonElement data, string name, TensorDataType dataType, long[] shape)
    {
        var json = Encoding.UTF8.GetBytes(data.GetRawText());
        if (JsonNumberArrayScanner.TryDecode(json, name, dataType, shape, out var fast, out _))
        {
            return fast!;
        }

        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        reader.Read();
        return Decode(ref reader, name, dataType, shape, json.Length);
    }

    /// <summary>Writes the tensor's elements as one flat JSON array.</summary>
    public static void WriteFlat(Utf8JsonWriter writer, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        writer.WriteStartArray();
        WriteElements(writer, tensor, 0, checked((int)tensor.ElementCount), JsonValueStyle.OpenInference);
        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes <paramref name="count"/> elements from <paramref name="start"/> (row-major) as JSON values, without
    /// brackets, in the given style: what a protocol's writer builds its layout from (V2's flat array, TF Serving's
    /// nested lists).
    /// </summary>
    public static void WriteElements(Utf8JsonWriter writer, Tensor tensor, int start, int count, JsonValueStyle style)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        var span = tensor.Data.Span;
        switch (tensor.DataType)
        {
            case TensorDataType.Bool:
                foreach (var b in span.Slice(start, count)) { writer.WriteBooleanValue(b != 0); }
                break;
            case TensorDataType.UInt8:
                foreach (var b in span.Slice(start, count)) { writer.WriteNumberValue(b); }
                break;
            case TensorDataType.Int8:
                foreach (var b in span.Slice(start, count)) { writer.WriteNumberValue((sbyte)b); }
                break;
            case TensorDataType.UInt16:
                foreach (var v in tensor.AsSpan<ushort>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.Int16:
                foreach (var v in tensor.AsSpan<short>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.UInt32:
                foreach (var v in tensor.AsSpan<uint>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.Int32:
                foreach (var v in tensor.AsSpan<int>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.UInt64:
                foreach (var v in tensor.AsSpan<ulong>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.Int64:
                foreach (var v in tensor.AsSpan<long>().Slice(start, count)) { writer.WriteNumberValue(v); }
                break;
            case TensorDataType.Fp16:
                foreach (var v in tensor.AsSpan<Half>().Slice(start, count)) { WriteFloat(writer, (float)v, style); }
                break;
            case TensorDataType.Bf16:
                foreach (var v in tensor.AsSpan<ushort>().Slice(start, count)) { WriteFloat(writer, BFloat16ToSingle(v), style); }
                break;
            case TensorDataType.Fp32:
                foreach (var v in tensor.AsSpan<float>().Slice(start, count)) { WriteFloat(writer, v, style); }
                break;
            case TensorDataType.Fp64:
                foreach (var v in tensor.AsSpan<double>().Slice(start, count)) { WriteDouble(writer, v, style); }
                break;
            case TensorDataType.Bytes:
                var elements = tensor.Elements!;
                for (var i = start; i < start + count; i++) { WriteBytesElement(writer, tensor.Name, i, elements[i].Span, style); }
                break;
            default:
                throw new InferenceException(InferenceErrorCode.Internal, $"unknown datatype {tensor.DataType}");
        }
    }

    /// <summary>Converts a bfloat16 bit pattern to a float.</summary>
    public static float BFloat16ToSingle(ushort bits) => BFloat16Bits.ToSingle(bits);

    /// <summary>Converts a float to bfloat16 bits, rounding to nearest even (NaN stays NaN).</summary>
    public static ushort SingleToBFloat16(float value) => BFloat16Bits.FromSingle(value);

    /// <summary>
    /// Narrows a decoded integer to a signed or unsigned integer element type up to 32 bits, or INT64, and writes it
    /// to <paramref name="dest"/>. False, writing nothing, when the value is outside the type's range (or the type is
    /// not one of those). Both decoding paths (<see cref="JsonNumberArrayScanner"/> too) narrow this way.
    /// </summary>
    internal static bool TryWriteInteger(long value, TensorDataType type, Span<byte> dest) => type switch
    {
        TensorDataType.UInt8 => TryWriteInteger<byte>(value, dest),
        TensorDataType.Int8 => TryWriteInteger<sbyte>(value, dest),
        TensorDataType.UInt16 => TryWriteInteger<ushort>(value, dest),
        TensorDataType.Int16 => TryWriteInteger<short>(value, dest),
        TensorDataType.UInt32 => TryWriteInteger<uint>(value, dest),
        TensorDataType.Int32 => TryWriteInteger<int>(value, dest),
        TensorDataType.Int64 => TryWriteInteger<long>(value, dest),
        _ => false,
    };

    private static bool TryWriteInteger<T>(long value, Span<byte> dest)
        where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (value < long.CreateTruncating(T.MinValue) || value > long.CreateTruncating(T.MaxValue))
        {
            return false;
        }

        T.CreateTruncating(value).WriteLittleEndian(dest);
        return true;
    }

    /// <summary>
    /// Narrows a decoded number to a floating-point element type (FP16, BF16, FP32, FP64) and writes it to
    /// <paramref name="dest"/>. False, writing nothing, when a finite value is beyond the type's largest finite value:
    /// that is an error, not a silent infinity (infinities are sent as the strings "Infinity" / "-Infinity").
    /// Both decoding paths convert this way (<see cref="JsonNumberArrayScanner"/>'s FP32 and FP64 readers inline the
    /// same two cases), so they give the same bits.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static bool TryWriteReal(double value, TensorDataType type, Span<byte> dest)
    {
        var finite = double.IsFinite(value);
        switch (type)
        {
            case TensorDataType.Fp64:
                BinaryPrimitives.WriteDoubleLittleEndian(dest, value);
                return true;
            case TensorDataType.Fp32:
                var single = (float)value;
                if (finite && float.IsInfinity(single))
                {
                    return false;
                }

                BinaryPrimitives.WriteSingleLittleEndian(dest, single);
                return true;
            case TensorDataType.Fp16:
                var half = (Half)value;
                if (finite && Half.IsInfinity(half))
                {
                    return false;
                }

                BinaryPrimitives.WriteHalfLittleEndian(dest, half);
                return true;
            default: // BF16: through FP32 rounded to odd, so that the value is rounded once, as if straight to BF16
                var asSingle = BFloat16Bits.ToSingleRoundedToOdd(value);
                var bits = SingleToBFloat16(asSingle);
                if (finite && (float.IsInfinity(asSingle) || float.IsInfinity(BFloat16ToSingle(bits))))
                {
                    return false;
                }

                BinaryPrimitives.WriteUInt16LittleEndian(dest, bits);
                return true;
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float v, JsonValueStyle style)
    {
        if (float.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            WriteNonFinite(writer, v, style);
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double v, JsonValueStyle style)
    {
        if (double.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            WriteNonFinite(writer, v, style);
        }
    }

    private static void WriteNonFinite(Utf8JsonWriter writer, double v, JsonValueStyle style)
    {
        if (style.NonFiniteAsBareTokens)
        {
            writer.WriteRawValue(double.IsNaN(v) ? "NaN"u8 : v > 0 ? "Infinity"u8 : "-Infinity"u8, skipInputValidation: true);
        }
        else
        {
            // JSON has no NaN or infinity; write them as the strings Python's json module and Triton's clients read.
            writer.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteBytesElement(Utf8JsonWriter writer, string name, int index, ReadOnlySpan<byte> bytes, JsonValueStyle style)
    {
        if (style.BytesAsBase64Objects && (name.EndsWith("_bytes", StringComparison.Ordinal) || !System.Text.Unicode.Utf8.IsValid(bytes)))
        {
            writer.WriteStartObject();
            writer.WriteBase64String("b64"u8, bytes);
            writer.WriteEndObject();
            return;
        }

        // JSON strings hold text: bytes that are not UTF-8 have no faithful JSON form (base64 would read as a
        // different string), so the client is told to ask for the output as binary data, which carries any bytes
        // (the protocol's writer may say how).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw Invalid($"output '{name}' element {index} is not UTF-8 text, which a JSON answer cannot carry; request the output as binary data");
        }

        writer.WriteStringValue(bytes);
    }

    private delegate void LeafReader<TState>(ref Utf8JsonReader reader, string name, ref TState state);

    private static void ReadLeaves<TState>(ref Utf8JsonReader reader, string name, ref TState state, LeafReader<TState> leaf)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            if (reader.TokenType is JsonTokenType.StartObject)
            {
                throw Invalid($"input '{name}': data must be an array of values, found an object");
            }

            leaf(ref reader, name, ref state);
            return;
        }

        var depth = 0;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.StartObject:
                    throw Invalid($"input '{name}': data must hold values or arrays, found an object");
                default:
                    leaf(ref reader, name, ref state);
                    break;
            }

            if (depth == 0)
            {
                return;
            }
        }
        while (reader.Read());

        throw Invalid($"input '{name}': data array is not closed");
    }

    private struct FixedState(byte[] buffer, TensorDataType type, int size)
    {
        public long Written;

        public void Write(ref Utf8JsonReader r, string name)
        {
            var offset = checked((int)(Written * size));
            if (offset + size > buffer.Length)
            {
                // More elements than the shape holds: count the rest for the error message, write nothing.
                Written++;
                return;
            }

            var dest = buffer.AsSpan(offset, size);
            switch (type)
            {
                case TensorDataType.Bool:
                    dest[0] = r.TokenType switch
                    {
                        JsonTokenType.True => 1,
                        JsonTokenType.False => 0,
                        _ => throw Invalid($"input '{name}' of datatype BOOL must hold true or false, found {Describe(r.TokenType)}"),
                    };
                    break;
                case TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.UInt16 or TensorDataType.Int16
                    or TensorDataType.UInt32 or TensorDataType.Int32 or TensorDataType.Int64:
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var integer) || !TryWriteInteger(integer, type, dest))
                    {
                        throw NotInRange(ref r, name, type.ToWireName());
                    }

                    break;
                case TensorDataType.UInt64:
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetUInt64(out var u64))
                    {
                        throw NotInRange(ref r, name, "UINT64");
                    }

                    BinaryPrimitives.WriteUInt64LittleEndian(dest, u64);
                    break;
                case TensorDataType.Fp16 or TensorDataType.Bf16 or TensorDataType.Fp32 or TensorDataType.Fp64:
                    var real = Real(ref r, name, type);
                    if (!TryWriteReal(real, type, dest))
                    {
                        throw Invalid($"input '{name}': {real.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is out of range for {type.ToWireName()}");
                    }

                    break;
                default:
                    throw new InferenceException(InferenceErrorCode.Internal, $"unexpected datatype {type}");
            }

            Written++;
        }

        private static double Real(ref Utf8JsonReader r, string name, TensorDataType type)
        {
            if (r.TokenType == JsonTokenType.Number && r.TryGetDouble(out var value))
            {
                // A number past double's range (1e400) reads as an infinity; written as a number it is out of range,
                // as 1e39 is for FP32 (infinities are sent as strings).
                return double.IsFinite(value) ? value : throw Invalid($"input '{name}': {NumberText(ref r)} is out of range for {type.ToWireName()}");
            }

            if (r.TokenType == JsonTokenType.String)
            {
                // The non-finite values JSON cannot write as numbers.
                if (r.ValueTextEquals("NaN"u8)) { return double.NaN; }
                if (r.ValueTextEquals("Infinity"u8) || r.ValueTextEquals("inf"u8)) { return double.PositiveInfinity; }
                if (r.ValueTextEquals("-Infinity"u8) || r.ValueTextEquals("-inf"u8)) { return double.NegativeInfinity; }
            }

            throw Invalid($"input '{name}' must hold numbers, found {Describe(r.TokenType)}");
        }
    }

    private static InferenceException NotInRange(ref Utf8JsonReader r, string name, string type)
    {
        if (r.TokenType != JsonTokenType.Number)
        {
            return Invalid($"input '{name}' of datatype {type} must hold integers, found {Describe(r.TokenType)}");
        }

        return Invalid($"input '{name}': {NumberText(ref r)} is not a valid {type} value");
    }

    private static string NumberText(ref Utf8JsonReader r) =>
        Encoding.UTF8.GetString(r.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(r.ValueSequence) : r.ValueSpan);

    private static InferenceException CountMismatch(string name, long[] shape, long expected, long actual) =>
        Invalid($"input '{name}' has shape [{TensorShape.Format(shape)}], which needs {expected} elements, but its data holds {actual}");

    private static InferenceException Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
