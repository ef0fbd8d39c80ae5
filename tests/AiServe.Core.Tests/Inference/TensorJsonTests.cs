using System.Text;
using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Inference;

public sealed class TensorJsonTests
{
    private static Tensor Decode(string json, TensorDataType type, long[] shape, string name = "x", long? jsonBytesLeft = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        return TensorJson.Decode(ref reader, name, type, shape, jsonBytesLeft ?? bytes.Length);
    }

    private static string Write(Tensor tensor)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            TensorJson.WriteFlat(writer, tensor);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static InferenceException DecodeFails(string json, TensorDataType type, long[] shape, string name = "my_input")
    {
        var ex = Assert.Throws<InferenceException>(() => Decode(json, type, shape, name));
        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    // Values chosen to hit each type's extremes; every one is exactly representable in its type.
    public static TheoryData<TensorDataType, string> FlatValues() => new()
    {
        { TensorDataType.Bool, "[true,false,true,false]" },
        { TensorDataType.UInt8, "[0,1,128,255]" },
        { TensorDataType.UInt16, "[0,1,32768,65535]" },
        { TensorDataType.UInt32, "[0,1,2147483648,4294967295]" },
        { TensorDataType.UInt64, "[0,1,9223372036854775808,18446744073709551615]" },
        { TensorDataType.Int8, "[-128,-1,0,127]" },
        { TensorDataType.Int16, "[-32768,-1,0,32767]" },
        { TensorDataType.Int32, "[-2147483648,-1,0,2147483647]" },
        { TensorDataType.Int64, "[-9223372036854775808,-1,0,9223372036854775807]" },
        { TensorDataType.Fp16, "[-65504,0.5,0,1.5]" },
        { TensorDataType.Bf16, "[-2,0.5,0,3.3895314E+38]" },
        { TensorDataType.Fp32, "[-1.5,0.1,0,3.4028235E+38]" },
        { TensorDataType.Fp64, "[-1.5,0.1,0,1.7976931348623157E+308]" },
        { TensorDataType.Bytes, "[\"a\",\"\",\"h\u00e9llo\",\"z\"]" },
    };

    [Theory]
    [MemberData(nameof(FlatValues))]
    public void Decode_FlatArray_WriteFlatGivesSameValues(TensorDataType type, string json)
    {
        var tensor = Decode(json, type, [2, 2]);

        Assert.Equal(type, tensor.DataType);
        Assert.Equal([2L, 2], tensor.Shape);
        AssertSameJson(json, Write(tensor));
    }

    [Theory]
    [MemberData(nameof(FlatValues))]
    public void Decode_NestedArray_SameTensorAsFlat(TensorDataType type, string json)
    {
        var values = JsonSerializer.Deserialize<JsonElement[]>(json)!.Select(e => e.GetRawText()).ToArray();
        var nested = $"[[{values[0]},{values[1]}],[{values[2]},{values[3]}]]";

        var tensor = Decode(nested, type, [2, 2]);

        AssertSameJson(json, Write(tensor));
    }

    private static void AssertSameJson(string expected, string actual)
    {
        // Compare element by element as JSON values, so "1.5" and "1.5E0" or escaped strings compare equal.
        var e = JsonSerializer.Deserialize<JsonElement[]>(expected)!;
        var a = JsonSerializer.Deserialize<JsonElement[]>(actual)!;
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(JsonElement.DeepEquals(e[i], a[i]) || SameNumber(e[i], a[i]), $"element {i}: expected {e[i]}, got {a[i]} (all: {actual})");
        }
    }

    private static bool SameNumber(JsonElement e, JsonElement a) =>
        e.ValueKind == JsonValueKind.Number && a.ValueKind == JsonValueKind.Number && e.GetDouble() == a.GetDouble();

    [Fact]
    public void Decode_Fp32_LittleEndianBytes()
    {
        var tensor = Decode("[1.5, -2]", TensorDataType.Fp32, [2]);

        Assert.Equal([1.5f, -2f], tensor.AsSpan<float>().ToArray());
        Assert.Equal(8, tensor.Data.Length);
    }

    [Fact]
    public void Decode_Bytes_KeepsUtf8OfEscapedStrings()
    {
        var tensor = Decode("""["caf\u00e9", "a\"b"]""", TensorDataType.Bytes, [2]);

        Assert.Equal("café", Encoding.UTF8.GetString(tensor.Elements![0].Span));
        Assert.Equal("a\"b", Encoding.UTF8.GetString(tensor.Elements![1].Span));
    }

    [Fact]
    public void Decode_ScalarForOneElement_Accepted()
    {
        var tensor = Decode("7", TensorDataType.Int32, [1]);

        Assert.Equal([7], tensor.AsSpan<int>().ToArray());
    }

    [Fact]
    public void Decode_ZeroElements_EmptyTensor()
    {
        var tensor = Decode("[]", TensorDataType.Fp32, [0, 4]);

        Assert.Equal(0, tensor.ElementCount);
    }

    [Fact]
    public void Decode_ReaderLeftOnLastTokenOfValue()
    {
        var bytes = """{"data": [[1, 2], [3, 4]], "next": true}"""u8.ToArray();
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        reader.Read();
        reader.Read();

        TensorJson.Decode(ref reader, "x", TensorDataType.Int64, [2, 2], bytes.Length);

        Assert.Equal(JsonTokenType.EndArray, reader.TokenType);
        reader.Read();
        Assert.True(reader.ValueTextEquals("next"u8));
    }

    [Theory]
    [InlineData(TensorDataType.UInt8, "[256]")]
    [InlineData(TensorDataType.UInt8, "[-1]")]
    [InlineData(TensorDataType.Int8, "[128]")]
    [InlineData(TensorDataType.Int8, "[-129]")]
    [InlineData(TensorDataType.UInt16, "[65536]")]
    [InlineData(TensorDataType.Int16, "[32768]")]
    [InlineData(TensorDataType.UInt32, "[4294967296]")]
    [InlineData(TensorDataType.Int32, "[1.5]")]
    [InlineData(TensorDataType.Int32, "[2147483648]")]
    [InlineData(TensorDataType.Int64, "[9223372036854775808]")]
    [InlineData(TensorDataType.UInt64, "[-1]")]
    [InlineData(TensorDataType.UInt64, "[18446744073709551616]")]
    [InlineData(TensorDataType.Int32, "[\"1\"]")]
    [InlineData(TensorDataType.Bool, "[1]")]
    [InlineData(TensorDataType.Bool, "[\"true\"]")]
    [InlineData(TensorDataType.Fp32, "[\"1.5\"]")]
    [InlineData(TensorDataType.Fp64, "[null]")]
    [InlineData(TensorDataType.Fp16, "[true]")]
    [InlineData(TensorDataType.Bytes, "[1]")]
    [InlineData(TensorDataType.Bytes, "[null]")]
    public void Decode_ValueOutOfRangeOrWrongType_InvalidArgumentNamingInput(TensorDataType type, string json)
    {
        DecodeFails(json, type, [1]);
    }

    [Theory]
    [InlineData(TensorDataType.Fp32, "[{\"a\": 1}]")]
    [InlineData(TensorDataType.Fp32, "{\"a\": 1}")]
    [InlineData(TensorDataType.Bytes, "[[\"a\"], {\"b\": 1}]")]
    public void Decode_ObjectInData_InvalidArgumentNamingInput(TensorDataType type, string json)
    {
        var ex = DecodeFails(json, type, [2]);

        Assert.Contains("object", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TensorDataType.Fp32, "[1, 2, 3]", 4)]
    [InlineData(TensorDataType.Fp32, "[1, 2, 3, 4, 5]", 4)]
    [InlineData(TensorDataType.Bytes, "[\"a\"]", 2)]
    [InlineData(TensorDataType.Bytes, "[\"a\", \"b\", \"c\"]", 2)]
    public void Decode_ElementCountDiffersFromShape_InvalidArgumentWithBothCounts(TensorDataType type, string json, long elements)
    {
        var given = JsonSerializer.Deserialize<JsonElement[]>(json)!.Length;

        var ex = DecodeFails(json, type, [elements]);

        Assert.Contains($"{elements} elements", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"holds {given}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ShapeClaimsMoreElementsThanJsonBytesLeft_RejectedBeforeReading()
    {
        var bytes = "[1, 2, 3, 4]"u8.ToArray();
        var reader = new Utf8JsonReader(bytes);
        reader.Read();

        InferenceException? caught = null;
        try
        {
            TensorJson.Decode(ref reader, "big", TensorDataType.Fp64, [1_000_000, 1_000_000], bytes.Length);
        }
        catch (InferenceException ex)
        {
            caught = ex;
        }

        Assert.NotNull(caught);
        Assert.Equal(InferenceErrorCode.InvalidArgument, caught.Code);
        Assert.Contains("'big'", caught.Message, StringComparison.Ordinal);
        Assert.Equal(JsonTokenType.StartArray, reader.TokenType);
    }

    [Fact]
    public void Decode_ShapeWithinJsonBytesLeft_Decodes()
    {
        var tensor = Decode("[1,2,3,4]", TensorDataType.Int8, [4], jsonBytesLeft: 4);

        Assert.Equal(4, tensor.ElementCount);
    }

    [Fact]
    public void Decode_ShapeProductOverflowsLong_InvalidArgumentNamingInput()
    {
        DecodeFails("[1]", TensorDataType.Fp32, [4_294_967_296, 4_294_967_296, 4_294_967_296]);
    }

    [Fact]
    public void Decode_NegativeDimension_InvalidArgument()
    {
        var ex = Assert.Throws<InferenceException>(() => Decode("[1]", TensorDataType.Fp32, [-1]));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
    }

    [Theory]
    [InlineData(TensorDataType.Fp16)]
    [InlineData(TensorDataType.Bf16)]
    [InlineData(TensorDataType.Fp32)]
    [InlineData(TensorDataType.Fp64)]
    public void Decode_NonFiniteStrings_DecodeAndWriteBack(TensorDataType type)
    {
        var tensor = Decode("""["NaN", "Infinity", "-Infinity", "inf", "-inf"]""", type, [5]);

        Assert.Equal("""["NaN","Infinity","-Infinity","Infinity","-Infinity"]""", Write(tensor));
    }

    [Fact]
    public void Decode_Fp32NonFinite_ValuesAreIeee()
    {
        var values = Decode("""["NaN", "Infinity", "-Infinity"]""", TensorDataType.Fp32, [3]).AsSpan<float>().ToArray();

        Assert.True(float.IsNaN(values[0]));
        Assert.Equal(float.PositiveInfinity, values[1]);
        Assert.Equal(float.NegativeInfinity, values[2]);
    }

    [Fact]
    public void Decode_OtherString_InvalidArgumentForFloats()
    {
        DecodeFails("""["nan"]""", TensorDataType.Fp32, [1]);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-2.5f)]
    [InlineData(0.15625f)]
    [InlineData(3.3895314E+38f)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void SingleToBFloat16_ExactlyRepresentable_RoundTrips(float value)
    {
        Assert.Equal(value, TensorJson.BFloat16ToSingle(TensorJson.SingleToBFloat16(value)));
    }

    [Fact]
    public void SingleToBFloat16_NaN_StaysNaN()
    {
        Assert.True(float.IsNaN(TensorJson.BFloat16ToSingle(TensorJson.SingleToBFloat16(float.NaN))));
    }

    [Theory]
    [InlineData(0x3F808000u, (ushort)0x3F80)] // exactly halfway, even below: round down
    [InlineData(0x3F818000u, (ushort)0x3F82)] // exactly halfway, odd below: round up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // above halfway: round up
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // below halfway: round down
    public void SingleToBFloat16_Rounding_NearestEven(uint floatBits, ushort expected)
    {
        Assert.Equal(expected, TensorJson.SingleToBFloat16(BitConverter.UInt32BitsToSingle(floatBits)));
    }

    [Theory]
    [InlineData("[-0.0]", TensorDataType.Fp32)]
    [InlineData("[-0]", TensorDataType.Fp64)]
    [InlineData("[-0.0]", TensorDataType.Fp16)]
    [InlineData("[-0.0]", TensorDataType.Bf16)]
    public void DecodeAndWrite_NegativeZero_KeepsItsSign(string json, TensorDataType type)
    {
        var tensor = Decode(json, type, [1]);

        Assert.Equal(0x80, tensor.Data.Span[^1]); // the sign bit, little-endian
        Assert.StartsWith("[-0", Write(tensor), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1.0039062500009095]", (ushort)0x3F81)] // just above halfway between 0x3F80 and 0x3F81: rounds up
    [InlineData("[1.0039062499990905]", (ushort)0x3F80)] // just below: rounds down
    [InlineData("[1.00390625]", (ushort)0x3F80)] // exactly halfway: to even
    public void Decode_Bf16_RoundedOnceFromTheDecimal(string json, ushort expected)
    {
        var tensor = Decode(json, TensorDataType.Bf16, [1]);

        Assert.Equal(expected, tensor.AsSpan<ushort>()[0]);
    }

    [Fact]
    public void WriteFlat_BytesNotUtf8_RefusedNamingTheOutputAndTheWayOut()
    {
        var tensor = Tensor.FromElements("b", [2], [new byte[] { 0x61 }, new byte[] { 0xFF, 0xFE }]);

        var ex = Assert.Throws<InferenceException>(() => Write(tensor));

        Assert.Contains("output 'b' element 1 is not UTF-8 text", ex.Message, StringComparison.Ordinal);
        Assert.Contains("request the output as binary data", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_JsonElement_SameAsReader()
    {
        using var document = JsonDocument.Parse("[[1, 2], [3, 4]]");

        var tensor = TensorJson.Decode(document.RootElement, "x", TensorDataType.Int16, [2, 2]);

        Assert.Equal(new short[] { 1, 2, 3, 4 }, tensor.AsSpan<short>().ToArray());
    }

    [Theory]
    [InlineData("[1e39]", TensorDataType.Fp32, "out of range for FP32")]
    [InlineData("[-1e39]", TensorDataType.Fp32, "out of range for FP32")]
    [InlineData("[70000]", TensorDataType.Fp16, "out of range for FP16")]
    [InlineData("[1e39]", TensorDataType.Bf16, "out of range for BF16")]
    [InlineData("[1e400]", TensorDataType.Fp64, "1e400 is out of range for FP64")] // past double: it read as an infinity
    [InlineData("[-1e309]", TensorDataType.Fp32, "-1e309 is out of range for FP32")]
    [InlineData("[1.7976931348623159e308]", TensorDataType.Fp16, "out of range for FP16")]
    public void Decode_FiniteNumberBeyondType_IsOutOfRangeNotInfinity(string json, TensorDataType type, string message)
    {
        var ex = Assert.Throws<InferenceException>(() => Decode(json, type, [1], "big"));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        Assert.Contains($"input 'big'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[65504]", TensorDataType.Fp16)]
    [InlineData("[3.4028235e38]", TensorDataType.Fp32)]
    [InlineData("[\"Infinity\"]", TensorDataType.Fp32)]
    public void Decode_LargestFiniteOrExplicitInfinity_Accepted(string json, TensorDataType type)
    {
        var tensor = Decode(json, type, [1]);

        Assert.Equal(1, tensor.ElementCount);
    }
}
