using System.Globalization;
using System.Text;
using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Inference;

/// <summary>
/// The fast path must decode exactly what the general path (the token reader) decodes, bit for bit, and give up on
/// everything else so that the general path can report it.
/// </summary>
public sealed class JsonNumberArrayScannerTests
{
    private static readonly TensorDataType[] Numeric =
    [
        TensorDataType.UInt8, TensorDataType.Int8, TensorDataType.UInt16, TensorDataType.Int16,
        TensorDataType.UInt32, TensorDataType.Int32, TensorDataType.UInt64, TensorDataType.Int64,
        TensorDataType.Fp16, TensorDataType.Bf16, TensorDataType.Fp32, TensorDataType.Fp64,
    ];

    private static Tensor General(byte[] json, TensorDataType type, long[] shape)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return TensorJson.Decode(ref reader, "x", type, shape, json.Length);
    }

    private static bool Fast(string json, TensorDataType type, long[] shape, out Tensor? tensor, out int length) =>
        JsonNumberArrayScanner.TryDecode(Encoding.UTF8.GetBytes(json), "x", type, shape, out tensor, out length);

    /// <summary>Either both paths agree bit for bit, or the fast path declined (never a different answer).</summary>
    private static bool AssertAgrees(string json, TensorDataType type, long[] shape)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var fast = JsonNumberArrayScanner.TryDecode(bytes, "x", type, shape, out var tensor, out var length);
        if (!fast)
        {
            return false;
        }

        Assert.Equal(bytes.Length, length);
        var general = General(bytes, type, shape);
        Assert.Equal(general.Data.ToArray(), tensor!.Data.ToArray());
        Assert.Equal(shape, tensor.Shape);
        Assert.Equal(type, tensor.DataType);
        return true;
    }

    [Theory]
    [InlineData(TensorDataType.Fp32)]
    [InlineData(TensorDataType.Fp64)]
    [InlineData(TensorDataType.Fp16)]
    [InlineData(TensorDataType.Bf16)]
    public void NegativeZero_KeepsItsSignOnBothPaths(TensorDataType type)
    {
        Assert.True(Fast("[-0.0, -0]", type, [2], out var tensor, out _));

        var size = tensor!.Data.Length / 2;
        Assert.Equal(0x80, tensor.Data.Span[size - 1]);
        Assert.Equal(0x80, tensor.Data.Span[(2 * size) - 1]);
        AssertAgrees("[-0.0, -0]", type, [2]);
    }

    [Fact]
    public void RandomFloats_ShortestRoundTrip_MatchGeneralPathBitForBit()
    {
        var random = new Random(1234);
        var values = new string[4096];
        for (var i = 0; i < values.Length; i++)
        {
            // Every binade from tiny to huge, both signs, written the way clients write them.
            var bits = (int)(((uint)random.Next() << 1) ^ (uint)random.Next());
            var f = BitConverter.Int32BitsToSingle(bits);
            if (!float.IsFinite(f))
            {
                f = (float)random.NextDouble();
            }

            values[i] = (i % 3) switch
            {
                0 => f.ToString("R", CultureInfo.InvariantCulture),
                1 => ((double)f).ToString("R", CultureInfo.InvariantCulture), // what Python's json writes for numpy float32 .tolist()
                _ => f.ToString("E7", CultureInfo.InvariantCulture),
            };
        }

        var json = "[" + string.Join(", ", values) + "]";
        Assert.True(AssertAgrees(json, TensorDataType.Fp32, [values.Length]));
        Assert.True(AssertAgrees(json, TensorDataType.Fp64, [values.Length]));
    }

    [Fact]
    public void RandomDoubles_AllDigitCounts_MatchGeneralPathBitForBit()
    {
        var random = new Random(99);
        var values = new List<string>();
        for (var i = 0; i < 4096; i++)
        {
            var d = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30));
            var digits = 1 + (i % 20);
            values.Add(d.ToString("E" + digits, CultureInfo.InvariantCulture));
            values.Add(d.ToString("R", CultureInfo.InvariantCulture));
            values.Add(Math.Round(d, i % 8).ToString("F" + (i % 8), CultureInfo.InvariantCulture));
        }

        var json = "[" + string.Join(",", values) + "]";
        Assert.True(AssertAgrees(json, TensorDataType.Fp64, [values.Count]));
        Assert.True(AssertAgrees(json, TensorDataType.Fp32, [values.Count]));
    }

    [Theory]
    [InlineData("[0, -0, 0.0, -0.0, 1, -1, 0.5, 1e0, 1E+2, 1e-2, 123456789012345678, 0.000001, 9007199254740993, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308]")]
    [InlineData("[0.1, 0.2, 0.30000000000000004, 3.4028234663852886e38, 1.401298464324817e-45, 65504, 6.103515625e-05, 0.00000000000000000000001]")]
    [InlineData("[12345678901234567890, 1234567890123456789012345, 0.12345678901234567890123, 1e22, 1e23, 1e-22, 1e-23, 4.35, 8.2e-1]")]
    public void EdgeNumbers_MatchGeneralPath_ForEveryRealType(string json)
    {
        var count = JsonDocument.Parse(json).RootElement.GetArrayLength();
        foreach (var type in new[] { TensorDataType.Fp64, TensorDataType.Fp32, TensorDataType.Fp16, TensorDataType.Bf16 })
        {
            try
            {
                General(Encoding.UTF8.GetBytes(json), type, [count]);
            }
            catch (InferenceException)
            {
                // Out of range for this type: the fast path must decline too.
                Assert.False(Fast(json, type, [count], out _, out _), $"{type} should decline");
                continue;
            }

            Assert.True(AssertAgrees(json, type, [count]), $"{type} declined");
        }
    }

    [Fact]
    public void Integers_EveryTypeAtItsLimits_MatchGeneralPath_OrDecline()
    {
        var limits = new[]
        {
            "0", "-0", "1", "-1", "127", "-128", "128", "255", "256", "32767", "-32768", "65535", "65536",
            "2147483647", "-2147483648", "4294967295", "4294967296", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "18446744073709551615", "18446744073709551616", "1.0", "1e2", "-1.5",
        };
        foreach (var type in Numeric.Where(t => t is not (TensorDataType.Fp16 or TensorDataType.Bf16 or TensorDataType.Fp32 or TensorDataType.Fp64)))
        {
            foreach (var value in limits)
            {
                var json = $"[{value}]";
                Tensor? general = null;
                try
                {
                    general = General(Encoding.UTF8.GetBytes(json), type, [1]);
                }
                catch (InferenceException)
                {
                    Assert.False(Fast(json, type, [1], out _, out _), $"{type} {value} should decline");
                }

                if (general is not null && Fast(json, type, [1], out var fast, out _))
                {
                    Assert.Equal(general.Data.ToArray(), fast!.Data.ToArray());
                }
            }
        }

        // The common values take the fast path.
        Assert.True(AssertAgrees("[0, 1, -1, 127, -128]", TensorDataType.Int8, [5]));
        Assert.True(AssertAgrees("[-9223372036854775808, 9223372036854775807]", TensorDataType.Int64, [2]));
        Assert.True(AssertAgrees("[0, 18446744073709551]", TensorDataType.UInt64, [2]));
    }

    [Theory]
    [InlineData("[[1, 2, 3], [4, 5, 6]]")]
    [InlineData("[ [ [1] , [2] ] , [ [3] , [4] ] , [[5],[6]] ]")]
    [InlineData("\t[1,2,\n3,\r\n4 ,5, 6 ]")]
    public void NestedArraysAndWhitespace_AreFlattenedLikeTheGeneralPath(string json)
    {
        Assert.True(AssertAgrees(json.TrimStart(), TensorDataType.Fp32, [2, 3]));
    }

    [Fact]
    public void Length_EndsAtTheClosingBracket_IgnoringWhatFollows()
    {
        Assert.True(Fast("[1,2]   , \"next\": 1}", TensorDataType.Int32, [2], out _, out var length));
        Assert.Equal(5, length);
        Assert.True(Fast("[]]", TensorDataType.Int32, [0], out var empty, out length));
        Assert.Equal(2, length);
        Assert.Equal(0, empty!.ElementCount);
    }

    [Theory]
    [InlineData("[1,]")]
    [InlineData("[,1]")]
    [InlineData("[1 2]")]
    [InlineData("[1,,2]")]
    [InlineData("[01]")]
    [InlineData("[0.5,1.]")]
    [InlineData("[.5]")]
    [InlineData("[+1]")]
    [InlineData("[1e]")]
    [InlineData("[1e+]")]
    [InlineData("[-]")]
    [InlineData("[1")]
    [InlineData("[1,")]
    [InlineData("[[1],2")]
    [InlineData("[\"1\"]")]
    [InlineData("[\"NaN\"]")]
    [InlineData("[true]")]
    [InlineData("[null]")]
    [InlineData("[{}]")]
    [InlineData("[NaN]")]
    [InlineData("[Infinity]")]
    [InlineData("[0x10]")]
    [InlineData("[1e400]")]
    [InlineData("[1,2,3]")]
    [InlineData("[1]")]
    [InlineData("1")]
    [InlineData("")]
    public void AnythingUnusual_OrAWrongCount_IsLeftToTheGeneralPath(string json)
    {
        Assert.False(Fast(json, TensorDataType.Fp32, [2], out _, out _));
    }

    [Fact]
    public void BoolBytesAndHugeShapes_AreLeftToTheGeneralPath()
    {
        Assert.False(Fast("[true, false]", TensorDataType.Bool, [2], out _, out _));
        Assert.False(Fast("[\"a\", \"b\"]", TensorDataType.Bytes, [2], out _, out _));
        Assert.False(Fast("[1, 2]", TensorDataType.Fp32, [1_000_000_000, 1_000_000_000], out _, out _));
        Assert.False(Fast("[1, 2]", TensorDataType.Fp32, [-1, 2], out _, out _));
        Assert.False(Fast(new string('[', 40) + "1" + new string(']', 40), TensorDataType.Fp32, [1], out _, out _));
    }

    [Fact]
    public void ValuesBeyondTheType_AreLeftToTheGeneralPath_WhichNamesThem()
    {
        Assert.False(Fast("[1e39]", TensorDataType.Fp32, [1], out _, out _));
        Assert.False(Fast("[70000]", TensorDataType.Fp16, [1], out _, out _));
        Assert.False(Fast("[3.4e38]", TensorDataType.Bf16, [1], out _, out _));
        Assert.False(Fast("[256]", TensorDataType.UInt8, [1], out _, out _));
        Assert.False(Fast("[-1]", TensorDataType.UInt32, [1], out _, out _));
        var ex = Assert.Throws<InferenceException>(() => General("[1e39]"u8.ToArray(), TensorDataType.Fp32, [1]));
        Assert.Contains("out of range for FP32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomText_FastPathNeverAcceptsWhatTheGeneralPathRejects()
    {
        string[] pieces = ["[", "]", ",", " ", "0", "1", "7", "-", ".", "e", "E", "+", "\"", "t", "\n"];
        var random = new Random(7);
        var accepted = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var text = new StringBuilder("[");
            var length = random.Next(1, 14);
            for (var k = 0; k < length; k++)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            var json = text.ToString();
            for (var count = 0; count <= 3; count++)
            {
                if (!Fast(json, TensorDataType.Fp64, [count], out var fast, out var used))
                {
                    continue;
                }

                accepted++;
                var exact = Encoding.UTF8.GetBytes(json)[..used];
                Tensor general;
                try
                {
                    general = General(exact, TensorDataType.Fp64, [count]);
                }
                catch (Exception ex) when (ex is JsonException or InferenceException)
                {
                    throw new Xunit.Sdk.XunitException($"fast path accepted {json[..used]} (shape [{count}]) but the general path says: {ex.Message}");
                }

                Assert.Equal(general.Data.ToArray(), fast!.Data.ToArray());
            }
        }

        Assert.True(accepted > 1000, $"only {accepted} random arrays were valid; the test would prove little");
    }
    // The short-decimal fast path (-?d.ddd, read with one or two 8-byte loads) and its fallbacks: every fraction length
    // from 1 to 17 digits, the 2^53 limit, an exponent or a second point right after the digits, and non-digits of
    // every kind where the digits stop.
    [Theory]
    [InlineData("[0.1, 0.12, 0.123, 0.1234, 0.12345, 0.123456, 0.1234567, 0.12345678, 0.123456789, 0.1234567890, 0.12345678901, 0.123456789012, 0.1234567890123, 0.12345678901234, 0.123456789012345, 0.1234567890123456, 0.12345678901234567, 0.123456789012345678, 0.1234567890123456789, 0.12345678901234567890]")]
    [InlineData("[9.1, 9.12, 9.123, 9.1234, 9.12345, 9.123456, 9.1234567, 9.12345678, 9.123456789, 9.1234567890, 9.12345678901, 9.123456789012, 9.1234567890123, 9.12345678901234, 9.123456789012345, 9.1234567890123456, 9.12345678901234567, 9.123456789012345678, 9.1234567890123456789, 9.12345678901234567890]")]
    [InlineData("[0.14090730249881744, 0.6681064367294312, 0.07790466770529747, 9.999999999999999999, 0.000000000000000001, 0.999999999999999999, 1.000000000000000001, -0.50000000000000005]")]
    [InlineData("[9.007199254740992, 9.007199254740993, 9.007199254740991, 9.999999999999999, 9.99999999999999, 8.99999999999999, 0.999999999999999, 0.9999999999999999]")]
    [InlineData("[-0.0, -0.5, -9.87654321, -0.00000001, 0.00000000, 5.0, -5.00000000, 0.10000000, 1.00000001]")]
    [InlineData("[0.12345678e5, 0.12345678E-3, 0.1234567e1, 1.5e3, 1.123456789E2, 2.25e+1, -0.5e-1, 0.1234567890123e3, 1.1e22]")]
    [InlineData("[12.5, 123.456, 10.0, 99.99999999, 1234567.8, 0, 1, -7, 42]")]
    public void ShortDecimals_MatchGeneralPath_WithEveryLayout(string json)
    {
        var values = JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetRawText()).ToArray();
        string[] layouts =
        [
            "[" + string.Join(",", values) + "]",
            "[" + string.Join(", ", values) + "]",
            "[" + string.Join(" ,  ", values) + " ]",
            "[\n  " + string.Join(",\n  ", values) + "\n]",
            "[" + string.Join(",\t", values) + "]",
        ];
        foreach (var layout in layouts)
        {
            foreach (var type in new[] { TensorDataType.Fp32, TensorDataType.Fp64, TensorDataType.Fp16, TensorDataType.Bf16 })
            {
                try
                {
                    General(Encoding.UTF8.GetBytes(layout), type, [values.Length]);
                }
                catch (InferenceException)
                {
                    // Out of range for this type (FP16 from 65520 on): the fast path must decline too.
                    Assert.False(Fast(layout, type, [values.Length], out _, out _), $"{type} should decline {layout}");
                    continue;
                }

                Assert.True(AssertAgrees(layout, type, [values.Length]), $"{type} declined {layout}");
            }
        }
    }

    [Theory]
    [InlineData("[0.5,1.]")]
    [InlineData("[0.5,1.e5]")]
    [InlineData("[0.5,0.12345678.5]")]
    [InlineData("[0.5,0.1234567.5]")]
    [InlineData("[0.5,0.1234567x]")]
    [InlineData("[0.5,0.12345678x]")]
    [InlineData("[0.5,0.1234567890123456789012345,]")]
    [InlineData("[0.5,0.123456789012345678.5]")]
    [InlineData("[0.5,0.12345678901234567e]")]
    [InlineData("[0.5,0.1234567890123456789x]")]
    [InlineData("[0.5,-0.12345678-]")]
    [InlineData("[0.5,--0.5]")]
    [InlineData("[0.5,,0.25]")]
    [InlineData("[0.5, ,0.25]")]
    [InlineData("[0.5 0.25]")]
    [InlineData("[0.5,]")]
    [InlineData("[0.5,0.25,]")]
    [InlineData("[0.5,0.25,0.125]")]
    [InlineData("[00.5,0.25]")]
    [InlineData("[0.5,\"0.25\"]")]
    [InlineData("[0.5,0.25}")]
    public void MalformedShortDecimals_AreLeftToTheGeneralPath(string json)
    {
        // Padded so that the 8-byte loads of the fast path apply to every number; and without padding, where they don't.
        Assert.False(Fast(json, TensorDataType.Fp32, [2], out _, out _));
        Assert.False(Fast(json + new string(' ', 40), TensorDataType.Fp32, [2], out _, out _));
        Assert.False(Fast(json + new string('1', 40), TensorDataType.Fp64, [2], out _, out _));
    }

    [Fact]
    public void NumbersNearTheEndOfTheInput_AreReadWithinIt()
    {
        // The fast path loads 16 bytes after the point when there is room for them. An array ending right at the end
        // of the span, with every amount of padding after it, decodes the same; and the span cut anywhere before
        // its ']' is never accepted, even when the bytes beyond the cut (still in memory) would complete it.
        const string array = "[0.72138375,-0.5,0.14090730249881744,1.25e-3,0.1234567,9.876543210987654321]";
        for (var pad = 0; pad <= 24; pad++)
        {
            var padded = Encoding.UTF8.GetBytes(array + new string('9', pad));
            Assert.True(JsonNumberArrayScanner.TryDecode(padded, "x", TensorDataType.Fp32, [6], out var fast, out var length), $"pad {pad}");
            Assert.Equal(array.Length, length);
            Assert.Equal(General(Encoding.UTF8.GetBytes(array), TensorDataType.Fp32, [6]).Data.ToArray(), fast!.Data.ToArray());
        }

        var bytes = Encoding.UTF8.GetBytes(array + "]]]]]]]]]]]]]]]]]]]]]]]]");
        for (var cut = 0; cut < array.Length; cut++)
        {
            Assert.False(JsonNumberArrayScanner.TryDecode(bytes.AsSpan(0, cut), "x", TensorDataType.Fp32, [6], out _, out _), $"cut {cut}");
        }

        // A single number, at every distance from the end.
        foreach (var value in new[] { "0.1", "0.1234567", "0.12345678", "0.123456789", "-9.123456789012345", "1.5e-7", "0.14090730249881744", "-9.876543210987654321", "0.1234567890123456789" })
        {
            for (var pad = 0; pad <= 20; pad++)
            {
                var json = "[" + value + "]" + new string(' ', pad);
                Assert.True(Fast(json, TensorDataType.Fp64, [1], out var fast, out _), $"{value} pad {pad}");
                Assert.Equal(double.Parse(value, CultureInfo.InvariantCulture), BitConverter.ToDouble(fast!.Data.Span));
            }
        }
    }

    [Fact]
    public void RandomShortFloats_EveryLayoutAndNesting_MatchGeneralPathBitForBit()
    {
        // What clients send: floats in [0, 1) and (-10, 10) as float and as double, shortest round trip, nested by row.
        var random = new Random(2024);
        foreach (var separator in new[] { ",", ", ", " , ", ",\n" })
        {
            var rows = new List<string>();
            for (var r = 0; r < 64; r++)
            {
                var row = new string[32];
                for (var k = 0; k < row.Length; k++)
                {
                    var f = (k % 2 == 0) ? random.NextSingle() : (random.NextSingle() - 0.5f) * 20;
                    row[k] = (k % 3 == 0)
                        ? ((double)f).ToString("R", CultureInfo.InvariantCulture)
                        : f.ToString("R", CultureInfo.InvariantCulture);
                }

                rows.Add("[" + string.Join(separator, row) + "]");
            }

            var json = "[" + string.Join(separator, rows) + "]";
            Assert.True(AssertAgrees(json, TensorDataType.Fp32, [64, 32]), separator);
            Assert.True(AssertAgrees(json, TensorDataType.Fp64, [64, 32]), separator);
            Assert.True(AssertAgrees(json, TensorDataType.Fp16, [64, 32]), separator);
        }
    }

    [Fact]
    public void Fp32OutOfRange_AfterShortDecimals_IsLeftToTheGeneralPath()
    {
        Assert.False(Fast("[0.5, 0.25, 0.125, -3.5e38]", TensorDataType.Fp32, [4], out _, out _));
        Assert.False(Fast("[0.5,0.25,0.125,3.5e38]" + new string(' ', 32), TensorDataType.Fp32, [4], out _, out _));
        Assert.True(AssertAgrees("[0.5,0.25,0.125,3.4e38,-3.4e38,1e-46]", TensorDataType.Fp32, [6]));
    }

    [Fact]
    public void LongMantissas_EveryExponent_MatchGeneralPathBitForBit()
    {
        // Beyond Clinger's fast path (more than 2^53, or a power of ten beyond ±22) the scanner converts with
        // csFastFloat: every digit count up to 19, every exponent from -70 to 70, ties and near-ties.
        var random = new Random(31337);
        var values = new List<string>();
        for (var q = -70; q <= 70; q++)
        {
            for (var k = 0; k < 40; k++)
            {
                var digits = 1 + (k % 19);
                var w = (ulong)random.NextInt64(1, long.MaxValue) % (ulong)Math.Pow(10, digits);
                values.Add($"{w}e{q}");
                values.Add($"-{w}E{q:+0;-0}");
            }
        }

        // Exactly halfway between two doubles (which rounds to even), and one unit of the last digit either side:
        // integers from 2^53 to 2^63 (ulp 2 to 2048), and x.5 between 2^52 and 2^53 and x.0625 between 2^49 and 2^50.
        for (var k = 0; k < 300; k++)
        {
            var e = 53 + (k % 10);
            var m = (ulong)random.NextInt64(1L << 52, 1L << 53);
            var tie = (m << (e - 52)) + (1UL << (e - 53));
            values.AddRange([$"{tie}", $"{tie - 1}", $"{tie + 1}"]);
            var n = (ulong)random.NextInt64(1L << 52, 1L << 53);
            values.AddRange([$"{n}.5", $"{n}.4999", $"{n}.5001", $"{n}.4", $"{n}.6"]);
            var f = (ulong)random.NextInt64(1L << 49, 1L << 50);
            values.AddRange([$"{f}.0625", $"{f}.1875", $"{f}.0624", $"{f}.0626"]);
        }

        values.AddRange(["9007199254740993", "9007199254740995", "18014398509481985", "9999999999999999999", "1e-64", "1e64", "17976931348623157e292"]);
        var json = "[" + string.Join(",", values) + "]";
        Assert.True(AssertAgrees(json, TensorDataType.Fp64, [values.Count]));
        var single = "[" + string.Join(",", values.Where(v => Math.Abs(double.Parse(v, CultureInfo.InvariantCulture)) < 3e38)) + "]";
        var count = JsonDocument.Parse(single).RootElement.GetArrayLength();
        Assert.True(AssertAgrees(single, TensorDataType.Fp32, [count]));
    }
}
