namespace AiServe.Core.Inference;

/// <summary>
/// Parses the common JSON numbers of tensor data (up to 15 significant digits, a moderate exponent) without the
/// general-purpose parser: Clinger's fast path. When the decimal mantissa is below 2^53 and the power of ten is at
/// most 10^22, both are exact doubles and one IEEE multiplication or division gives the correctly rounded result,
/// the same double the general parser returns. Anything else returns false and the caller falls back.
/// </summary>
internal static class FastFloat
{
    private const ulong MaxExactMantissa = 1UL << 53;

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses a JSON number token (already validated by the reader) when the fast path applies.</summary>
    public static bool TryParse(ReadOnlySpan<byte> number, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (number.Length > 0 && number[0] == (byte)'-')
        {
            negative = true;
            i++;
        }

        ulong mantissa = 0;
        var digits = 0;
        var exponent = 0;
        for (; i < number.Length && IsDigit(number[i]); i++)
        {
            if (digits > 0 || number[i] != (byte)'0')
            {
                if (++digits > 15)
                {
                    return false;
                }
            }

            mantissa = (mantissa * 10) + (ulong)(number[i] - '0');
        }

        if (i < number.Length && number[i] == (byte)'.')
        {
            for (i++; i < number.Length && IsDigit(number[i]); i++)
            {
                if (digits > 0 || number[i] != (byte)'0')
                {
                    if (++digits > 15)
                    {
                        return false;
                    }
                }

                mantissa = (mantissa * 10) + (ulong)(number[i] - '0');
                exponent--;
            }
        }

        if (i < number.Length && (number[i] | 0x20) == (byte)'e')
        {
            i++;
            var negativeExponent = false;
            if (i < number.Length && (number[i] == (byte)'-' || number[i] == (byte)'+'))
            {
                negativeExponent = number[i] == (byte)'-';
                i++;
            }

            var e = 0;
            for (; i < number.Length && IsDigit(number[i]); i++)
            {
                if (e > 1000)
                {
                    return false;
                }

                e = (e * 10) + (number[i] - '0');
            }

            exponent += negativeExponent ? -e : e;
        }

        if (i != number.Length || mantissa >= MaxExactMantissa || exponent < -22 || exponent > 22)
        {
            return false;
        }

        var result = (double)mantissa;
        result = exponent < 0 ? result / PowersOfTen[-exponent] : result * PowersOfTen[exponent];
        value = negative ? -result : result;
        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
