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
    [InlineData("[1.]")]
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
}
