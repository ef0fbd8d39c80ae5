using AiServe.Bench;

namespace AiServe.Client.Tests.Bench;

public sealed class BenchOptionsParserTests
{
    [Fact]
    public void Parse_OnlyModel_Defaults()
    {
        var options = BenchOptionsParser.Parse(["--model", "iris"]);

        Assert.Equal("iris", options.Model);
        Assert.Equal(new Uri("http://127.0.0.1:8080/"), options.Url);
        Assert.Equal(BenchProtocol.RestJson, options.Protocol);
        Assert.Equal((1, false), (options.Batch, options.BatchGiven));
        Assert.Equal([1], options.Concurrency);
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)), (options.Duration, options.Warmup));
        Assert.Null(options.Out);
    }

    [Fact]
    public void Parse_EveryOption_BothSyntaxes()
    {
        var options = BenchOptionsParser.Parse([
            "--url=http://localhost:9000/prefix", "--model", "fashion-mnist", "--version", "2", "--protocol=rest-binary",
            "--batch", "8", "--concurrency", "1, 4,16,64", "--duration", "2.5", "--warmup", "0", "--input-file", "body.json",
            "--seed", "-3", "--timeout", "5", "--out", "results"]);

        Assert.Equal(new Uri("http://localhost:9000/prefix/"), options.Url);
        Assert.Equal(("fashion-mnist", "2"), (options.Model, options.Version));
        Assert.Equal(BenchProtocol.RestBinary, options.Protocol);
        Assert.Equal((8, true), (options.Batch, options.BatchGiven));
        Assert.Equal([1, 4, 16, 64], options.Concurrency);
        Assert.Equal((TimeSpan.FromSeconds(2.5), TimeSpan.Zero, TimeSpan.FromSeconds(5)), (options.Duration, options.Warmup, options.Timeout));
        Assert.Equal(("body.json", -3, "results"), (options.InputFile, options.Seed, options.Out));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Parse_Help_NeedsNoModel(string flag)
    {
        Assert.True(BenchOptionsParser.Parse([flag]).Help);
    }

    [Theory]
    [InlineData(new[] { "--url", "http://x" }, "--model is required")]
    [InlineData(new[] { "--model", "iris", "--colour", "red" }, "unknown option '--colour'")]
    [InlineData(new[] { "--model" }, "--model needs a value")]
    [InlineData(new[] { "--model", "--batch", "2" }, "--model needs a value")]
    [InlineData(new[] { "--model", "iris", "--protocol", "grpc" }, "--protocol must be rest-json or rest-binary, got 'grpc'")]
    [InlineData(new[] { "--model", "iris", "--concurrency", "1,x" }, "--concurrency must be a positive integer, got 'x'")]
    [InlineData(new[] { "--model", "iris", "--concurrency", "0" }, "--concurrency must be a positive integer, got '0'")]
    [InlineData(new[] { "--model", "iris", "--batch", "-1" }, "--batch must be a positive integer, got '-1'")]
    [InlineData(new[] { "--model", "iris", "--duration", "0" }, "--duration must be a positive number of seconds, got '0'")]
    [InlineData(new[] { "--model", "iris", "--warmup", "soon" }, "--warmup must be a non-negative number of seconds, got 'soon'")]
    [InlineData(new[] { "--model", "iris", "--url", "ftp://host" }, "--url must be an absolute http:// or https:// URL, got 'ftp://host'")]
    [InlineData(new[] { "--model", "iris", "extra" }, "unexpected argument 'extra'; options start with --")]
    [InlineData(new[] { "--model", "iris", "--timeout", "3000000" }, "--timeout must be at most 604800 seconds (a week), got '3000000'")]
    [InlineData(new[] { "--model", "iris", "--duration", "10000000000" }, "--duration must be at most 604800 seconds (a week), got '10000000000'")]
    [InlineData(new[] { "--model", "iris", "--warmup", "604800.5" }, "--warmup must be at most 604800 seconds (a week), got '604800.5'")]
    [InlineData(new[] { "--model", "iris", "--timeout", "0.00000001" }, "--timeout must be at least 0.0000001 seconds (100 ns), got '0.00000001'")]
    [InlineData(new[] { "--model", "iris", "--concurrency", "1,2000000000" }, "--concurrency must be at most 65536, got '2000000000'")]
    [InlineData(new[] { "--model", "iris", "--concurrency", "99999999999" }, "--concurrency must be at most 65536, got '99999999999'")]
    [InlineData(new[] { "--model", "iris", "--max-outstanding", "65537" }, "--max-outstanding must be at most 65536, got '65537'")]
    public void Parse_BadArguments_ClearMessage(string[] args, string message)
    {
        var ex = Assert.Throws<BenchOptionsException>(() => BenchOptionsParser.Parse(args));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Parse_LargestAllowedValues_Accepted()
    {
        var options = BenchOptionsParser.Parse(["--model", "m", "--concurrency", "65536", "--duration", "604800", "--warmup", "604800", "--timeout", "604800"]);

        Assert.Equal([65536], options.Concurrency);
        Assert.Equal((TimeSpan.FromDays(7), TimeSpan.FromDays(7), TimeSpan.FromDays(7)), (options.Duration, options.Warmup, options.Timeout));
    }

    [Fact]
    public void Parse_RequestRate_OpenLoopSteps()
    {
        var options = BenchOptionsParser.Parse(["--model", "wide", "--request-rate", "500, 2000", "--max-outstanding=64"]);

        Assert.Equal([500, 2000], options.RequestRates!);
        Assert.Equal(64, options.MaxOutstanding);
        Assert.Null(BenchOptionsParser.Parse(["--model", "wide"]).RequestRates);
        Assert.Equal(1000, BenchOptionsParser.Parse(["--model", "wide"]).MaxOutstanding);
    }

    [Theory]
    [InlineData("--request-rate", "0", "--request-rate must be a positive integer")]
    [InlineData("--request-rate", "1.5", "--request-rate must be a positive integer")]
    [InlineData("--max-outstanding", "0", "--max-outstanding must be a positive integer")]
    public void Parse_BadOpenLoopValues_NamedErrors(string name, string value, string message)
    {
        var ex = Assert.Throws<BenchOptionsException>(() => BenchOptionsParser.Parse(["--model", "m", name, value]));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--concurrency 1,64,16", 64)]
    [InlineData("--request-rate 2000,8000", 1000)]
    [InlineData("--request-rate 2000 --max-outstanding 256", 256)]
    public void MaxConnections_ClosedLoopLargestStep_OpenLoopOutstandingLimit(string arguments, int expected)
    {
        var options = BenchOptionsParser.Parse(["--model", "iris", .. arguments.Split(' ')]);

        Assert.Equal(expected, options.MaxConnections);
    }

    [Fact]
    public void Parse_ConcurrencyAndRequestRate_Refused()
    {
        var ex = Assert.Throws<BenchOptionsException>(() => BenchOptionsParser.Parse(["--model", "m", "--concurrency", "4", "--request-rate", "100"]));

        Assert.Contains("not both", ex.Message, StringComparison.Ordinal);
    }
}
