namespace AiServe.Shared;

/// <summary>
/// bfloat16 conversions, compiled into both AiServe.Core and AiServe.Client (linked from src/Shared: the client
/// references no server assembly, so that client apps take none of the server's dependencies).
/// </summary>
internal static class BFloat16Bits
{
    /// <summary>Converts a bfloat16 bit pattern to a float (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Converts a float to bfloat16 bits, rounding to nearest even (NaN stays NaN).</summary>
    public static ushort FromSingle(float value)
    {
        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Converts a double to bfloat16 bits rounded once to nearest even, as if straight from the double.</summary>
    public static ushort FromDouble(double value) => FromSingle(ToSingleRoundedToOdd(value));

    /// <summary>
    /// The float nearest <paramref name="value"/> toward zero, with its last bit set when it is not exact (round to
    /// odd). Rounding that to fewer bits gives what rounding the double straight to them gives; rounding to nearest
    /// twice does not (1.0039062500009095 is just above a BF16 halfway point, and just below it as a float).
    /// </summary>
    public static float ToSingleRoundedToOdd(double value)
    {
        var single = (float)value;
        if (!float.IsFinite(single) || single == value)
        {
            return single;
        }

        var bits = BitConverter.SingleToInt32Bits(single);
        if (Math.Abs((double)single) > Math.Abs(value))
        {
            bits--; // one step toward zero: the magnitude is the low 31 bits
        }

        return BitConverter.Int32BitsToSingle(bits | 1);
    }
}
