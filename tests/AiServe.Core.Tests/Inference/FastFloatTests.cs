using System.Globalization;
using System.Text;
using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Inference;

public sealed class FastFloatTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("1")]
    [InlineData("-2.25")]
    [InlineData("0.1")]
    [InlineData("0.000123")]
    [InlineData("123456789012345")]
    [InlineData("0.123456789")]
    [InlineData("1e22")]
    [InlineData("1E-22")]
    [InlineData("5.5e+3")]
    [InlineData("9007199254740991")]
    [InlineData("3.4028235e38")]
    [InlineData("1e-45")]
    [InlineData("0.30000000000000004")]
    [InlineData("1234567890123456789")]
    public void TryParse_WhenItAnswers_EqualsTheGeneralParserBitForBit(string text)
    {
        var expected = double.Parse(text, CultureInfo.InvariantCulture);

        if (FastFloat.TryParse(Encoding.ASCII.GetBytes(text), out var actual))
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
        }
    }

    [Theory]
    [InlineData("0.5", true)]
    [InlineData("0.123456789", true)]
    [InlineData("-17.25e-3", true)]
    [InlineData("0.30000000000000004", false)]
    [InlineData("1e23", false)]
    [InlineData("1e-23", false)]
    [InlineData("1234567890123456789", false)]
    public void TryParse_FastPathCoversShortNumbersOnly(string text, bool fast)
    {
        Assert.Equal(fast, FastFloat.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void TryParse_RandomNumbersInEveryForm_EqualGeneralParser()
    {
        var random = new Random(1234);
        var answered = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-12, 12));
            var text = (i % 4) switch
            {
                0 => value.ToString("R", CultureInfo.InvariantCulture),
                1 => ((float)value).ToString("R", CultureInfo.InvariantCulture),
                2 => value.ToString("G9", CultureInfo.InvariantCulture),
                _ => value.ToString("E6", CultureInfo.InvariantCulture),
            };
            var expected = double.Parse(text, CultureInfo.InvariantCulture);
            if (FastFloat.TryParse(Encoding.ASCII.GetBytes(text), out var actual))
            {
                answered++;
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), text);
            }
        }

        // The fast path must actually carry the common cases (float round-trip and 9-digit forms), or it is useless.
        Assert.True(answered > 100_000, $"only {answered} of 200000 numbers took the fast path");
    }
}
