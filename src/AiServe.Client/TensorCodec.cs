using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using AiServe.Shared;

namespace AiServe.Client;

/// <summary>
/// Tensor elements to and from the two wire forms: a flat JSON array, and the binary extension's raw little-endian
/// bytes (BOOL one byte 0/1, BYTES a 4-byte little-endian length before each element).
/// </summary>
internal static class TensorCodec
{
    public static void WriteJsonData(Utf8JsonWriter writer, InferTensor tensor)
    {
        writer.WriteStartArray();
        // Switch on the datatype, not the array's type: the CLR lets long[] pass as ulong[] (and int[] as uint[]...),
        // so a type pattern could pick the wrong reading of the same bits.
        switch (tensor.Datatype)
        {
            case V2DataTypes.Bool: foreach (var v in (bool[])tensor.Data) { writer.WriteBooleanValue(v); } break;
            case V2DataTypes.UInt8: foreach (var v in (byte[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.Int8: foreach (var v in (sbyte[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.UInt16: foreach (var v in (ushort[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.Int16: foreach (var v in (short[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.UInt32: foreach (var v in (uint[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.Int32: foreach (var v in (int[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.UInt64: foreach (var v in (ulong[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.Int64: foreach (var v in (long[])tensor.Data) { writer.WriteNumberValue(v); } break;
            case V2DataTypes.Fp32: foreach (var v in (float[])tensor.Data) { WriteDouble(writer, v, float.IsFinite(v)); } break;
            case V2DataTypes.Fp64: foreach (var v in (double[])tensor.Data) { WriteDouble(writer, v, double.IsFinite(v)); } break;
            case V2DataTypes.Bytes:
                var elements = (byte[][])tensor.Data;
                for (var i = 0; i < elements.Length; i++)
                {
                    if (!Utf8.IsValid(elements[i]))
                    {
                        throw new ArgumentException($"element {i} of BYTES tensor '{tensor.Name}' is not valid UTF-8, which JSON cannot carry; send it as binary data");
                    }

                    writer.WriteStringValue(elements[i]);
                }

                break;
            default:
                throw new ArgumentException($"tensor '{tensor.Name}' is {tensor.Datatype}, which JSON cannot carry faithfully; send it as binary data");
        }

        writer.WriteEndArray();
    }

    public static long BinarySize(InferTensor tensor)
    {
        if (tensor.Data is byte[][] elements)
        {
            long size = 0;
            foreach (var e in elements)
            {
                size += 4 + e.Length;
            }

            return size;
        }

        return (long)tensor.Data.Length * V2DataTypes.ElementSize(tensor.Datatype);
    }

    public static void WriteBinary(IBufferWriter<byte> output, InferTensor tensor)
    {
        switch (tensor.Data)
        {
            // Only bool[] and byte[][] need their own encoding; every other type is its little-endian bytes, whatever
            // the element type, so the CLR's long[]/ulong[] aliasing does not matter here.
            case bool[] a:
                var span = output.GetSpan(a.Length);
                for (var i = 0; i < a.Length; i++)
                {
                    span[i] = a[i] ? (byte)1 : (byte)0;
                }

                output.Advance(a.Length);
                break;
            case byte[][] a:
                foreach (var e in a)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)e.Length);
                    output.Advance(4);
                    output.Write(e);
                }

                break;
            case byte[] a: output.Write(a); break;
            default: WriteFixed(output, tensor.Data, V2DataTypes.ElementSize(tensor.Datatype)); break;
        }
    }

    /// <summary>Decodes <paramref name="count"/> elements of <paramref name="datatype"/> from binary data.</summary>
    public static Array ReadBinary(string name, string datatype, int count, ReadOnlySpan<byte> bytes)
    {
        if (datatype == V2DataTypes.Bytes)
        {
            // Each element takes at least its 4-byte length: a count the bytes cannot hold is refused before the
            // array of elements is made from it.
            if (count > bytes.Length / 4)
            {
                throw new FormatException($"binary data of BYTES output '{name}' has {bytes.Length} bytes, too few for {count} elements of at least 4 bytes each");
            }

            var elements = new byte[count][];
            var offset = 0;
            for (var i = 0; i < count; i++)
            {
                if (bytes.Length - offset < 4)
                {
                    throw new FormatException($"binary data of BYTES output '{name}' ends inside the length of element {i}");
                }

                var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
                offset += 4;
                if (length > bytes.Length - offset)
                {
                    throw new FormatException($"binary data of BYTES output '{name}': element {i} says {length} bytes, only {bytes.Length - offset} remain");
                }

                elements[i] = bytes.Slice(offset, (int)length).ToArray();
                offset += (int)length;
            }

            if (offset != bytes.Length)
            {
                throw new FormatException($"binary data of BYTES output '{name}' has {bytes.Length - offset} bytes after its {count} elements");
            }

            return elements;
        }

        var expected = (long)count * V2DataTypes.ElementSize(datatype);
        if (bytes.Length != expected)
        {
            throw new FormatException($"output '{name}' of {count} {datatype} elements needs {expected} bytes of binary data, got {bytes.Length}");
        }

        return datatype switch
        {
            V2DataTypes.Bool => ReadBools(bytes),
            V2DataTypes.UInt8 => bytes.ToArray(),
            V2DataTypes.Int8 => ReadFixed<sbyte>(bytes),
            V2DataTypes.UInt16 or V2DataTypes.Bf16 => ReadFixed<ushort>(bytes),
            V2DataTypes.Int16 => ReadFixed<short>(bytes),
            V2DataTypes.UInt32 => ReadFixed<uint>(bytes),
            V2DataTypes.Int32 => ReadFixed<int>(bytes),
            V2DataTypes.UInt64 => ReadFixed<ulong>(bytes),
            V2DataTypes.Int64 => ReadFixed<long>(bytes),
            V2DataTypes.Fp16 => ReadFixed<Half>(bytes),
            V2DataTypes.Fp32 => ReadFixed<float>(bytes),
            V2DataTypes.Fp64 => ReadFixed<double>(bytes),
            _ => throw new FormatException($"output '{name}' has unknown datatype '{datatype}'"),
        };
    }

    /// <summary>Decodes a JSON <c>data</c> value (flat or nested arrays, or one scalar) into <paramref name="count"/> elements.</summary>
    public static Array ReadJson(string name, string datatype, int count, JsonElement data)
    {
        // Not sized from count: the declared shape is checked against the data, not trusted to allocate.
        var leaves = new List<JsonElement>();
        Flatten(data, leaves);
        if (leaves.Count != count)
        {
            throw new FormatException($"'{name}' has a shape of {count} elements but its data holds {leaves.Count}");
        }

        try
        {
            return datatype switch
            {
                V2DataTypes.Bool => leaves.ConvertAll(e => e.ValueKind == JsonValueKind.Number ? e.GetInt32() != 0 : e.GetBoolean()).ToArray(),
                V2DataTypes.UInt8 => leaves.ConvertAll(e => e.GetByte()).ToArray(),
                V2DataTypes.Int8 => leaves.ConvertAll(e => e.GetSByte()).ToArray(),
                V2DataTypes.UInt16 => leaves.ConvertAll(e => e.GetUInt16()).ToArray(),
                V2DataTypes.Int16 => leaves.ConvertAll(e => e.GetInt16()).ToArray(),
                V2DataTypes.UInt32 => leaves.ConvertAll(e => e.GetUInt32()).ToArray(),
                V2DataTypes.Int32 => leaves.ConvertAll(e => e.GetInt32()).ToArray(),
                V2DataTypes.UInt64 => leaves.ConvertAll(e => e.GetUInt64()).ToArray(),
                V2DataTypes.Int64 => leaves.ConvertAll(e => e.GetInt64()).ToArray(),
                V2DataTypes.Fp16 => leaves.ConvertAll(e => (Half)ReadDouble(e)).ToArray(),
                V2DataTypes.Bf16 => leaves.ConvertAll(e => BFloat16Bits.FromDouble(ReadDouble(e))).ToArray(),
                V2DataTypes.Fp32 => leaves.ConvertAll(e => (float)ReadDouble(e)).ToArray(),
                V2DataTypes.Fp64 => leaves.ConvertAll(ReadDouble).ToArray(),
                V2DataTypes.Bytes => leaves.ConvertAll(ReadString).ToArray(),
                _ => throw new FormatException($"'{name}' has unknown datatype '{datatype}'"),
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new FormatException($"'{name}' of datatype {datatype} holds a value of the wrong JSON type or range: {ex.Message}", ex);
        }
    }

    private static void Flatten(JsonElement element, List<JsonElement> leaves)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            leaves.Add(element);
            return;
        }

        foreach (var item in element.EnumerateArray())
        {
            Flatten(item, leaves);
        }
    }

    // GetString() answers null for a JSON null; a BYTES element is a string, never null.
    private static byte[] ReadString(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? Encoding.UTF8.GetBytes(e.GetString()!)
        : throw new FormatException($"a BYTES element is {V2BodyDecoder.Describe(e)}, not a string");

    // JSON has no NaN or infinity: they travel as the strings Python's json module and Triton's clients use.
    private static double ReadDouble(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" or "inf" => double.PositiveInfinity,
            "-Infinity" or "-inf" => double.NegativeInfinity,
            var s => double.Parse(s!, NumberStyles.Float, CultureInfo.InvariantCulture),
        }
        : e.GetDouble();

    private static void WriteDouble(Utf8JsonWriter writer, double v, bool finite)
    {
        if (finite)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteFixed(IBufferWriter<byte> output, Array data, int size)
    {
        var length = data.Length * size;
        var bytes = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(data), length);
        var target = output.GetSpan(length)[..length];
        bytes.CopyTo(target);
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < target.Length; i += size)
            {
                target.Slice(i, size).Reverse();
            }
        }

        output.Advance(length);
    }

    private static T[] ReadFixed<T>(ReadOnlySpan<byte> bytes)
        where T : unmanaged
    {
        var result = new T[bytes.Length / Marshal.SizeOf<T>()];
        var target = MemoryMarshal.AsBytes(result.AsSpan());
        bytes.CopyTo(target);
        if (!BitConverter.IsLittleEndian)
        {
            var size = Marshal.SizeOf<T>();
            for (var i = 0; i < target.Length; i += size)
            {
                target.Slice(i, size).Reverse();
            }
        }

        return result;
    }

    private static bool[] ReadBools(ReadOnlySpan<byte> bytes)
    {
        var result = new bool[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            result[i] = bytes[i] != 0;
        }

        return result;
    }
}
