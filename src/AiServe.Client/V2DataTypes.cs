namespace AiServe.Client;

/// <summary>
/// The tensor datatypes of the Open Inference Protocol, by wire name, and the .NET array element type that holds
/// each one in an <see cref="InferTensor"/>.
/// </summary>
public static class V2DataTypes
{
    /// <summary>Boolean, one byte (0 or 1) in binary; held as <see cref="bool"/>.</summary>
    public const string Bool = "BOOL";

    /// <summary>Unsigned 8-bit integer; held as <see cref="byte"/>.</summary>
    public const string UInt8 = "UINT8";

    /// <summary>Unsigned 16-bit integer; held as <see cref="ushort"/>.</summary>
    public const string UInt16 = "UINT16";

    /// <summary>Unsigned 32-bit integer; held as <see cref="uint"/>.</summary>
    public const string UInt32 = "UINT32";

    /// <summary>Unsigned 64-bit integer; held as <see cref="ulong"/>.</summary>
    public const string UInt64 = "UINT64";

    /// <summary>Signed 8-bit integer; held as <see cref="sbyte"/>.</summary>
    public const string Int8 = "INT8";

    /// <summary>Signed 16-bit integer; held as <see cref="short"/>.</summary>
    public const string Int16 = "INT16";

    /// <summary>Signed 32-bit integer; held as <see cref="int"/>.</summary>
    public const string Int32 = "INT32";

    /// <summary>Signed 64-bit integer; held as <see cref="long"/>.</summary>
    public const string Int64 = "INT64";

    /// <summary>IEEE half precision; held as <see cref="Half"/>. Binary only (JSON cannot carry it faithfully).</summary>
    public const string Fp16 = "FP16";

    /// <summary>bfloat16; held as <see cref="ushort"/> bit patterns. Binary only.</summary>
    public const string Bf16 = "BF16";

    /// <summary>IEEE single precision; held as <see cref="float"/>.</summary>
    public const string Fp32 = "FP32";

    /// <summary>IEEE double precision; held as <see cref="double"/>.</summary>
    public const string Fp64 = "FP64";

    /// <summary>Variable-length byte strings; held as <c>byte[][]</c> (one array per element).</summary>
    public const string Bytes = "BYTES";

    /// <summary>The size of one element in bytes, or 0 for <see cref="Bytes"/> (variable length).</summary>
    /// <param name="datatype">A wire name.</param>
    /// <exception cref="ArgumentException">The datatype is not one of the protocol's.</exception>
    public static int ElementSize(string datatype) => datatype switch
    {
        Bool or UInt8 or Int8 => 1,
        UInt16 or Int16 or Fp16 or Bf16 => 2,
        UInt32 or Int32 or Fp32 => 4,
        UInt64 or Int64 or Fp64 => 8,
        Bytes => 0,
        _ => throw Unknown(datatype),
    };

    /// <summary>The .NET element type an <see cref="InferTensor"/> of this datatype holds (<c>byte[]</c> for BYTES).</summary>
    /// <param name="datatype">A wire name.</param>
    /// <exception cref="ArgumentException">The datatype is not one of the protocol's.</exception>
    public static Type ElementType(string datatype) => datatype switch
    {
        Bool => typeof(bool),
        UInt8 => typeof(byte),
        UInt16 or Bf16 => typeof(ushort),
        UInt32 => typeof(uint),
        UInt64 => typeof(ulong),
        Int8 => typeof(sbyte),
        Int16 => typeof(short),
        Int32 => typeof(int),
        Int64 => typeof(long),
        Fp16 => typeof(Half),
        Fp32 => typeof(float),
        Fp64 => typeof(double),
        Bytes => typeof(byte[]),
        _ => throw Unknown(datatype),
    };

    /// <summary>Whether <paramref name="datatype"/> is one of the protocol's wire names (case-sensitive).</summary>
    /// <param name="datatype">A candidate wire name.</param>
    public static bool IsKnown(string? datatype) => datatype is Bool or UInt8 or UInt16 or UInt32 or UInt64 or Int8 or Int16
        or Int32 or Int64 or Fp16 or Bf16 or Fp32 or Fp64 or Bytes;

    private static ArgumentException Unknown(string datatype) =>
        new($"'{datatype}' is not a V2 datatype; use one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES", nameof(datatype));
}
