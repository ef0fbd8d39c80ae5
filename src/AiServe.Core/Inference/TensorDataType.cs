namespace AiServe.Core.Inference;

/// <summary>The element types of the Open Inference Protocol. Names follow the wire names.</summary>
public enum TensorDataType
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
    /// <summary>IEEE 754 half precision float.</summary>
    Fp16,
    /// <summary>bfloat16 (the upper 16 bits of an FP32).</summary>
    Bf16,
    /// <summary>IEEE 754 single precision float.</summary>
    Fp32,
    /// <summary>IEEE 754 double precision float.</summary>
    Fp64,
    /// <summary>Variable-length byte strings (ONNX string tensors hold UTF-8).</summary>
    Bytes,
}

/// <summary>Wire names and sizes of <see cref="TensorDataType"/>.</summary>
public static class TensorDataTypes
{
    private static readonly string[] WireNames =
        ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES"];

    private static readonly int[] Sizes = [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 2, 4, 8, 0];

    /// <summary>All data types in declaration order.</summary>
    public static IReadOnlyList<TensorDataType> All { get; } = Enum.GetValues<TensorDataType>();

    /// <summary>The protocol's name of the type, e.g. <c>FP32</c>.</summary>
    public static string ToWireName(this TensorDataType type) => WireNames[(int)type];

    /// <summary>Bytes per element; 0 for <see cref="TensorDataType.Bytes"/>, whose elements vary in length.</summary>
    public static int ElementSize(this TensorDataType type) => Sizes[(int)type];

    /// <summary>Parses a wire name (case-sensitive, as the protocol says all strings are).</summary>
    public static bool TryParse(string? wireName, out TensorDataType type)
    {
        var index = Array.IndexOf(WireNames, wireName);
        type = index < 0 ? default : (TensorDataType)index;
        return index >= 0;
    }

    /// <summary>Parses a wire name as found in UTF-8 JSON without allocating.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8WireName, out TensorDataType type)
    {
        for (var i = 0; i < WireNames.Length; i++)
        {
            if (System.Text.Ascii.Equals(utf8WireName, WireNames[i]))
            {
                type = (TensorDataType)i;
                return true;
            }
        }

        type = default;
        return false;
    }
}
