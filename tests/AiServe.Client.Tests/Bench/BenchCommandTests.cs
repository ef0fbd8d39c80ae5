using AiServe.Bench;

namespace AiServe.Client.Tests.Bench;

public sealed class BenchCommandTests : IAsyncLifetime
{
    private FakeV2Server _server = null!;

    public async Task InitializeAsync() => _server = await FakeV2Server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task RunAsync_EchoModel_ReportsTheStepAndExitsZero()
    {
        var (code, output, error) = await RunAsync("--model", "echo", "--batch", "2");

        Assert.True(code == 0, error);
        Assert.Contains("echo, rest-json, batch 2,", output, StringComparison.Ordinal);
        Assert.Contains("concurrency    1:", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("FP16")]
    [InlineData("BF16")]
    public async Task RunAsync_HalfPrecisionInputOverRestJson_ErrorSuggestsRestBinary(string datatype)
    {
        _server.CannedMetadata = $$"""{"name":"capture","inputs":[{"name":"h","datatype":"{{datatype}}","shape":[-1,2]}],"outputs":[]}""";

        var (code, output, error) = await RunAsync("--model", "capture");

        Assert.Equal(1, code);
        Assert.Equal($"error: tensor 'h' is {datatype}, which JSON cannot carry faithfully; send it as binary data (--protocol rest-binary)", error.Trim());
        Assert.Equal("", output);
    }

    /// <summary>Runs the command against the fake server with short steps, as the console would.</summary>
    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await BenchCommand.RunAsync(
            ["--url", _server.Http.BaseAddress!.AbsoluteUri, "--duration", "0.2", "--warmup", "0", .. args],
            output, error, interactive: false, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
