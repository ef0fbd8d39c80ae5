using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using csFastFloat;

namespace AiServe.Core.Inference;

/// <summary>
/// The fast path of JSON tensor decoding: scans a (possibly nested) array of plain JSON numbers straight from the
/// UTF-8 bytes into a typed buffer, one pass, without a token reader. It accepts only what it can decode exactly as
/// the general path (<see cref="TensorJson.Decode(ref System.Text.Json.Utf8JsonReader, string, TensorDataType, long[], long)"/>)
/// would; on anything else (strings, booleans, objects, malformed JSON, a value out of range, a count that does not
/// match the shape) it gives up, and the caller decodes with the general path, which names the problem.
/// <para>
/// Numbers: a decimal with at most 19 significant digits and a power of ten within ±22 converts exactly (Clinger's
/// fast path: both the integer mantissa, when at most 2^53, and the power of ten are exact doubles, so one
/// correctly rounded multiplication or division gives the correctly rounded result). The others go to csFastFloat
/// (<see cref="FastDoubleParser"/>, Lemire's fast_float), also correctly rounded, so the result equals
/// <c>Utf8JsonReader.TryGetDouble</c>'s. The typical element of a float
/// tensor (<c>0.14090730249881744</c>) is read by a SWAR fast path (<see cref="TryReadShortDecimal"/>), and FP32 and
/// FP64 get a loop compiled for their type (<see cref="IElementReader"/>); the other types share one general reader.
/// </para>
/// </summary>
public static class JsonNumberArrayScanner
{
    private const ulong MaxExactMantissa = 1UL << 53;

    // Deeper nesting is left to the general path (and System.Text.Json's own depth limit).
    private const int MaxDepth = 32;

    // 10^0 to 10^8 as integers, for the mantissa of the short-decimal fast path.
    private static readonly ulong[] Pow10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Decodes the array that starts at <paramref name="json"/>[0] (a '[') into a tensor, when every leaf is a
    /// number the fast path handles and their count matches <paramref name="shape"/>.
    /// </summary>
    /// <param name="json">The JSON from the array's '[' to at least its matching ']'.</param>
    /// <param name="name">The tensor's name.</param>
    /// <param name="dataType">A numeric element type (not BOOL or BYTES, which this path never takes).</param>
    /// <param name="shape">The declared concrete shape.</param>
    /// <param name="tensor">The decoded tensor.</param>
    /// <param name="length">The array's length in bytes, up to and including its closing ']'.</param>
    /// <returns>False when the general path must decode (and report) this value.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> json, string name, TensorDataType dataType, long[] shape, out Tensor? tensor, out int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        tensor = null;
        length = 0;
        if (dataType is TensorDataType.Bytes or TensorDataType.Bool || json.IsEmpty || json[0] != (byte)'[')
        {
            return false;
        }

        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0 || (d > 0 && count > json.Length / d))
            {
                // Negative, or more elements than bytes: the general path says which.
                return false;
            }

            count *= d; // at most json.Length, by the check above
        }

        var size = dataType.ElementSize();
        var buffer = new byte[count * size];

        // The element type is settled once, outside the loop: each reader is a struct, so the JIT compiles the loop
        // once per reader with its Read inlined. The specialised FP32 and FP64 readers store through a typed
        // reference, which is the little-endian layout of a tensor's data only on a little-endian machine.
        var scanned = (dataType, BitConverter.IsLittleEndian) switch
        {
            (TensorDataType.Fp32, true) => Fill(json, buffer, count, default(Fp32Reader), out length),
            (TensorDataType.Fp64, true) => Fill(json, buffer, count, default(Fp64Reader), out length),
            _ => Fill(json, buffer, count, new GeneralReader(dataType, size), out length),
        };
        if (!scanned)
        {
            length = 0;
            return false;
        }

        tensor = Tensor.FromBytes(name, dataType, shape, buffer);
        return true;
    }

    /// <summary>Reads one element: a JSON number at <c>start</c> into element <c>index</c> of the buffer.</summary>
    private interface IElementReader
    {
        /// <summary>The index after the number, or -1 when the fast path cannot take it (the caller gives up).</summary>
        /// <param name="json">The JSON.</param>
        /// <param name="start">The number's first byte (not whitespace, a bracket or a comma).</param>
        /// <param name="buffer">The tensor's bytes; <paramref name="index"/> is known to be below its element count.</param>
        /// <param name="index">The element's index.</param>
        int Read(ReadOnlySpan<byte> json, int start, Span<byte> buffer, long index);
    }

    /// <summary>
    /// The array's grammar: brackets, commas and whitespace around the numbers, which <typeparamref name="TReader"/>
    /// reads into <paramref name="buffer"/>. False unless the array is well formed with exactly <paramref name="count"/>
    /// numbers; <paramref name="length"/> is then the index after its closing ']'.
    /// </summary>
    private static bool Fill<TReader>(ReadOnlySpan<byte> json, Span<byte> buffer, long count, TReader reader, out int length)
        where TReader : struct, IElementReader
    {
        length = 0;
        var written = 0L;
        var depth = 0;
        var expectValue = true; // after '[' or ','
        var afterOpen = false;  // right after '[': ']' is allowed too
        var i = 0;
        while (true)
        {
            i = SkipWhitespace(json, i);
            if (i >= json.Length)
            {
                return false;
            }

            var c = json[i];
            if (c == (byte)'[')
            {
                if (!expectValue || depth >= MaxDepth)
                {
                    return false;
                }

                depth++;
                afterOpen = true;
                i++;
                continue;
            }

            if (c == (byte)']')
            {
                if (expectValue && !afterOpen)
                {
                    return false; // "[1,]"
                }

                depth--;
                i++;
                expectValue = false;
                afterOpen = false;
                if (depth == 0)
                {
                    break;
                }

                continue;
            }

            if (c == (byte)',')
            {
                if (expectValue || depth == 0)
                {
                    return false;
                }

                expectValue = true;
                afterOpen = false;
                i++;
                continue;
            }

            if (!expectValue || written >= count)
            {
                return false;
            }

            var next = reader.Read(json, i, buffer, written);
            if (next < 0)
            {
                return false;
            }

            i = next;
            written++;

            // The common case, without the state machine: a ',' right after the number, at most one space (what
            // Python's json.dumps writes), and the next number (a '-' or a digit; anything else goes round the loop).
            while (written < count && (uint)(i + 2) < (uint)json.Length && json[i] == (byte)',')
            {
                var at = json[i + 1] == (byte)' ' ? i + 2 : i + 1;
                if (!IsNumberStart(json[at]))
                {
                    break;
                }

                next = reader.Read(json, at, buffer, written);
                if (next < 0)
                {
                    return false;
                }

                i = next;
                written++;
            }

            expectValue = false;
            afterOpen = false;
        }

        length = i;
        return written == count;
    }

    private static bool IsNumberStart(byte c) => c == (byte)'-' || IsDigit(c);

    /// <summary>Any numeric type, through <see cref="ReadReal"/> or <see cref="ReadInteger"/> and <see cref="TensorJson.TryWriteReal"/>.</summary>
    private readonly struct GeneralReader(TensorDataType type, int size) : IElementReader
    {
        public int Read(ReadOnlySpan<byte> json, int start, Span<byte> buffer, long index)
        {
            var dest = buffer.Slice((int)(index * size), size);
            return type is TensorDataType.Fp32 or TensorDataType.Fp64 or TensorDataType.Fp16 or TensorDataType.Bf16
                ? ReadReal(json, start, type, dest)
                : ReadInteger(json, start, type, dest);
        }
    }

    /// <summary>
    /// FP32: the short-decimal fast path, else the general scan; then <c>(float)value</c> with
    /// <see cref="TensorJson.TryWriteReal"/>'s range check (a finite value that rounds to infinity is refused).
    /// </summary>
    private readonly struct Fp32Reader : IElementReader
    {
        public int Read(ReadOnlySpan<byte> json, int start, Span<byte> buffer, long index)
        {
            var end = ReadAnyDouble(json, start, out var value);
            if (end < 0)
            {
                return -1;
            }

            // value is finite here (both ways of reading it ensure that), so infinity means out of FP32's range.
            var single = (float)value;
            if (float.IsInfinity(single))
            {
                return -1;
            }

            // index < the element count, and buffer holds exactly that many floats.
            Unsafe.Add(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetReference(buffer)), (nint)index) = single;
            return end;
        }
    }

    /// <summary>One number as a double: the short-decimal fast path, else the general scan; the index after it, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadAnyDouble(ReadOnlySpan<byte> json, int start, out double value)
    {
        var end = TryReadShortDecimal(json, start, out value);
        return end >= 0 ? end : ReadDouble(json, start, out value);
    }

    /// <summary>FP64: the short-decimal fast path, else the general scan; the double as it is.</summary>
    private readonly struct Fp64Reader : IElementReader
    {
        public int Read(ReadOnlySpan<byte> json, int start, Span<byte> buffer, long index)
        {
            var end = ReadAnyDouble(json, start, out var value);
            if (end < 0)
            {
                return -1;
            }

            // index < the element count, and buffer holds exactly that many doubles.
            Unsafe.Add(ref Unsafe.As<byte, double>(ref MemoryMarshal.GetReference(buffer)), (nint)index) = value;
            return end;
        }
    }

    /// <summary>
    /// The typical element of a float tensor, <c>-?d.ddd…</c> (one integer digit, 1 to 18 fraction digits, no
    /// exponent: what a client writes for a float in (-10, 10), e.g. <c>0.14090730249881744</c>, the shortest
    /// round-trip form of a float widened to double), read with two 8-byte loads and at most two single digits
    /// instead of <see cref="Scan"/>; the index after it, or -1 when the number is not of that form (or too close to the
    /// end of <paramref name="json"/> for the loads), and the caller reads it the general way. The value is what
    /// <see cref="ReadDouble"/> gives: the same mantissa (all the digits as an integer, at most 19 of them, so exact)
    /// over the same power of ten, converted the same way.
    /// </summary>
    private static int TryReadShortDecimal(ReadOnlySpan<byte> json, int start, out double value)
    {
        value = 0;

        // Room for the sign, the digit, the point, two 8-byte loads and two more digits after it, and the byte after
        // those: nothing below reads past the end.
        if (start > json.Length - 22)
        {
            return -1;
        }

        ref var first = ref MemoryMarshal.GetReference(json);
        var negative = Unsafe.Add(ref first, start) == (byte)'-';
        var at = negative ? start + 1 : start;
        var digit = (uint)(Unsafe.Add(ref first, at) - '0');
        if (digit > 9 || Unsafe.Add(ref first, at + 1) != (byte)'.')
        {
            return -1;
        }

        // The fraction's first eight bytes; the number of digits it starts with is the index of the lowest non-digit.
        var end = at + 2;
        var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, end));
        var nonDigits = NonDigits(word);
        ulong mantissa;
        if (nonDigits != 0)
        {
            var digits = BitOperations.TrailingZeroCount(nonDigits) >> 3;
            if (digits == 0)
            {
                return -1; // "1." or "1.e5": the general scan refuses it
            }

            mantissa = (digit * Pow10[digits]) + LeadingDigits(word, digits);
            end += digits;
        }
        else
        {
            // Eight digits and maybe more: the next eight bytes.
            mantissa = (digit * 100_000_000UL) + EightDigits(word);
            end += 8;
            word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, end));
            nonDigits = NonDigits(word);
            if (nonDigits != 0)
            {
                var digits = BitOperations.TrailingZeroCount(nonDigits) >> 3;
                mantissa = (mantissa * Pow10[digits]) + (digits == 0 ? 0 : LeadingDigits(word, digits));
                end += digits;
            }
            else
            {
                // Sixteen fraction digits (17 with the integer digit, < 10^17) and up to two more, so that the
                // mantissa has at most 19 digits; a third is left to the general scan.
                mantissa = (mantissa * 100_000_000UL) + EightDigits(word);
                end += 8;
                for (var extra = 0; extra < 2; extra++)
                {
                    var d = (uint)(Unsafe.Add(ref first, end) - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    mantissa = (mantissa * 10) + d;
                    end++;
                }

                if (IsDigit(Unsafe.Add(ref first, end)))
                {
                    return -1;
                }
            }
        }

        // end <= at + 20 <= start + 21, within the window checked above.
        var after = Unsafe.Add(ref first, end);
        if (after == (byte)'.' || (after | 0x20) == (byte)'e')
        {
            return -1; // an exponent follows (or a second point, which the general scan refuses)
        }

        // As ReadDouble converts: Clinger's fast path when the mantissa is at most 2^53 (10^digits, digits <= 18, is an
        // exact double), else fast_float on the digits' text (correctly rounded too).
        var fractionDigits = end - at - 2;
        if (mantissa <= MaxExactMantissa)
        {
            value = mantissa / PowersOfTen[fractionDigits];
        }
        else if (!FastDoubleParser.TryParseDouble(json[at..end], out value))
        {
            return -1;
        }

        if (negative)
        {
            value = -value;
        }

        return end;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    /// <summary>Reads one JSON number at <paramref name="start"/> into <paramref name="dest"/>; the index after it, or -1.</summary>
    private static int ReadReal(ReadOnlySpan<byte> json, int start, TensorDataType type, Span<byte> dest)
    {
        var end = ReadDouble(json, start, out var value);
        return end >= 0 && TensorJson.TryWriteReal(value, type, dest) ? end : -1;
    }

    /// <summary>
    /// Reads one JSON number at <paramref name="start"/> as a (finite) double, correctly rounded; the index after
    /// it, or -1 when it is not a JSON number or is beyond a double's range.
    /// </summary>
    private static int ReadDouble(ReadOnlySpan<byte> json, int start, out double value)
    {
        if (!Scan(json, start, out var end, out var negative, out var mantissa, out var exponent, out var exact, out _))
        {
            value = 0;
            return -1;
        }

        if (exact && mantissa <= MaxExactMantissa && exponent is >= -22 and <= 22)
        {
            value = exponent < 0 ? mantissa / PowersOfTen[-exponent] : mantissa * PowersOfTen[exponent];
            if (negative)
            {
                value = -value;
            }
        }
        else if (!FastDoubleParser.TryParseDouble(json[start..end], out value) || !double.IsFinite(value))
        {
            return -1;
        }

        return end;
    }

    private static int ReadInteger(ReadOnlySpan<byte> json, int start, TensorDataType type, Span<byte> dest)
    {
        if (!Scan(json, start, out var end, out var negative, out var magnitude, out var exponent, out var exact, out var integral)
            || !integral || !exact)
        {
            return -1;
        }

        // exact and integral: the digits were read whole, so magnitude is the value's absolute value.
        if (type == TensorDataType.UInt64)
        {
            if (negative)
            {
                return -1; // even "-0", which the general path (TryGetUInt64) refuses too
            }

            BinaryPrimitives.WriteUInt64LittleEndian(dest, magnitude);
            return end;
        }

        if (magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return -1;
        }

        var value = negative ? (long)(0UL - magnitude) : (long)magnitude;
        return TensorJson.TryWriteInteger(value, type, dest) ? end : -1;
    }

    /// <summary>
    /// Scans one number with JSON's grammar: <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>.
    /// <paramref name="mantissa"/> holds the significant digits as an integer (at most 19 of them) and
    /// <paramref name="exponent"/> the power of ten to apply; <paramref name="exact"/> is false when digits had to be
    /// dropped (more than 19 significant digits, or an exponent too large to matter here).
    /// </summary>
    private static bool Scan(ReadOnlySpan<byte> json, int i, out int end, out bool negative, out ulong mantissa, out int exponent, out bool exact, out bool integral)
    {
        end = i;
        mantissa = 0;
        exponent = 0;
        ulong m = 0;
        var e10 = 0;
        exact = true;
        integral = true;
        negative = (uint)i < (uint)json.Length && json[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        if ((uint)i >= (uint)json.Length || !IsDigit(json[i]))
        {
            return false;
        }

        if (json[i] == (byte)'0')
        {
            i++;
            if ((uint)i < (uint)json.Length && IsDigit(json[i]))
            {
                return false; // leading zero
            }
        }
        else
        {
            i = ReadDigits(json, i, ref m, out var dropped);
            e10 += dropped;
            exact &= dropped == 0;
        }

        if ((uint)i < (uint)json.Length && json[i] == (byte)'.')
        {
            integral = false;
            i++;
            if ((uint)i >= (uint)json.Length || !IsDigit(json[i]))
            {
                return false;
            }

            // Every fraction digit kept moves the decimal point one place; dropped ones only make the value inexact.
            var before = i;
            i = ReadDigits(json, i, ref m, out var dropped);
            e10 -= i - before - dropped;
            exact &= dropped == 0;
        }

        if ((uint)i < (uint)json.Length && (json[i] | 0x20) == (byte)'e')
        {
            integral = false;
            i++;
            var negativeExponent = false;
            if ((uint)i < (uint)json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                negativeExponent = json[i] == (byte)'-';
                i++;
            }

            if ((uint)i >= (uint)json.Length || !IsDigit(json[i]))
            {
                return false;
            }

            var e = 0;
            uint d;
            while ((uint)i < (uint)json.Length && (d = (uint)(json[i] - '0')) <= 9)
            {
                if (e < 100_000)
                {
                    e = (e * 10) + (int)d;
                }
                else
                {
                    exact = false;
                }

                i++;
            }

            e10 += negativeExponent ? -e : e;
        }

        end = i;
        mantissa = m;
        exponent = e10;
        return true;
    }

    /// <summary>
    /// Appends the run of digits at <paramref name="i"/> to <paramref name="m"/> while it stays below 10^19 (19
    /// significant digits); returns the index after the run. <paramref name="dropped"/> counts the digits that did not
    /// fit. Runs of eight and four digits are converted at once (SWAR: all digits of a word in a few multiplications).
    /// </summary>
    private static int ReadDigits(ReadOnlySpan<byte> json, int i, ref ulong m, out int dropped)
    {
        dropped = 0;
        while (m < 100_000_000_000UL && i <= json.Length - 8)
        {
            var eight = BinaryPrimitives.ReadUInt64LittleEndian(json.Slice(i, 8));
            if (!AreEightDigits(eight))
            {
                break;
            }

            m = (m * 100_000_000UL) + EightDigits(eight);
            i += 8;
        }

        if (m < 1_000_000_000_000_000UL && i <= json.Length - 4)
        {
            var four = BinaryPrimitives.ReadUInt32LittleEndian(json.Slice(i, 4));
            if (AreFourDigits(four))
            {
                m = (m * 10_000UL) + FourDigits(four);
                i += 4;
            }
        }

        uint d;
        while ((uint)i < (uint)json.Length && (d = (uint)(json[i] - '0')) <= 9)
        {
            if (m < 1_000_000_000_000_000_000UL)
            {
                m = (m * 10) + d;
            }
            else
            {
                dropped++;
            }

            i++;
        }

        return i;
    }

    // A byte is a digit when neither adding 0x46 (c > '9') nor subtracting 0x30 (c < '0') sets its top bit. The lowest
    // byte that is not a digit is computed without a carry or borrow from below, so it always shows.
    private static bool AreEightDigits(ulong word) => NonDigits(word) == 0;

    /// <summary>
    /// The top bit of every byte of <paramref name="word"/> that is not an ASCII digit, as <see cref="AreEightDigits"/>
    /// computes it. Above the lowest non-digit a carry or borrow may mark digits too, so only the lowest set bit is
    /// meaningful: its trailing zero count divided by eight is the number of digits the word starts with.
    /// </summary>
    private static ulong NonDigits(ulong word) =>
        ((word + 0x4646464646464646UL) | (word - 0x3030303030303030UL)) & 0x8080808080808080UL;

    /// <summary>
    /// The value of the first <paramref name="count"/> (1 to 7) digits of <paramref name="word"/> (its lowest bytes).
    /// Shifting left by 8 * (8 - count) bits drops the bytes after them and moves them to the top, so they become the
    /// last digits of an eight-digit number; the 8 - count bytes that come in at the bottom are zeros, which the ORed
    /// '0's (0x30 in each of the lowest 8 - count bytes) turn into leading '0' digits. Then <see cref="EightDigits"/>.
    /// </summary>
    private static ulong LeadingDigits(ulong word, int count) =>
        EightDigits((word << ((8 - count) * 8)) | (0x3030303030303030UL >> (count * 8)));

    private static bool AreFourDigits(uint word) =>
        (((word + 0x46464646U) | (word - 0x30303030U)) & 0x80808080U) == 0;

    // Little-endian: the first digit is the lowest byte. Pairs first (byte k becomes 10 * d[k] + d[k+1]), then the
    // pairs at bytes 0 and 4 times 10^6 and 10^2, and those at bytes 2 and 6 times 10^4 and 1, read from the high half.
    private static ulong EightDigits(ulong word)
    {
        word -= 0x3030303030303030UL;
        word = (word * 10) + (word >> 8);
        const ulong pairs = 0x000000FF000000FFUL;
        return (((word & pairs) * (100 + (1_000_000UL << 32))) + (((word >> 16) & pairs) * (1 + (10_000UL << 32)))) >> 32;
    }

    private static ulong FourDigits(uint word)
    {
        word -= 0x30303030U;
        word = (word * 10) + (word >> 8);
        return ((word & 0xFF) * 100UL) + ((word >> 16) & 0xFF);
    }

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;
}
