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

    [Theory]
    [InlineData("{}", "error: GET /v2/models/capture answered a body that is not the expected JSON: JSON deserialization for type 'AiServe.Client.ModelMetadata' was missing required properties including: 'name', 'inputs', 'outputs'.")]
    [InlineData("""{"name":"m","inputs":[{"name":"x","datatype":"FP32"}],"outputs":[]}""", "error: GET /v2/models/capture answered a body that is not the expected JSON: JSON deserialization for type 'AiServe.Client.TensorMetadata' was missing required properties including: 'shape'.")]
    [InlineData("""{"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[-1,100000,100000]}],"outputs":[]}""", "error: input 'x' would have shape [1, 100000, 100000], more than the 2147483591 elements a tensor can hold")]
    public async Task RunAsync_IncompleteOrOversizedMetadata_SetupError(string metadata, string message)
    {
        _server.CannedMetadata = metadata;

        var (code, _, error) = await RunAsync("--model", "capture");

        Assert.Equal(1, code);
        Assert.StartsWith(message, error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TimeoutPastHttpClientsLimit_BadArgumentsExitTwo()
    {
        var (code, _, error) = await RunAsync("--model", "echo", "--timeout", "3000000");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --timeout must be at most 604800 seconds (a week), got '3000000'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OutCannotBeWritten_RefusedBeforeAnyStep()
    {
        var (code, output, error) = await RunAsync("--model", "echo", "--out", "/proc/self/nope/x");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --out '/proc/self/nope/x': the results cannot be written there: ", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task RunAsync_OutGoneDuringTheRun_ErrorAfterTheTableExitOne()
    {
        var root = Directory.CreateTempSubdirectory("aiserve-bench-out-").FullName;
        try
        {
            var directory = Path.Combine(root, "out");
            using var cancel = new CancellationTokenSource();
            using var output = new StringWriter();
            using var error = new StringWriter();
            var run = BenchCommand.RunAsync(
                ["--url", _server.Http.BaseAddress!.AbsoluteUri, "--model", "capture", "--duration", "3600", "--warmup", "0", "--out", Path.Combine(directory, "run")],
                output, error, interactive: false, cancel.Token);

            // Once the run is sending, the directory it checked becomes a file, and the run is stopped.
            while (_server.Captured is null)
            {
                await Task.Delay(10);
            }

            Directory.Delete(directory);
            await File.WriteAllTextAsync(directory, "");
            await cancel.CancelAsync();

            Assert.Equal(1, await run);
            Assert.Contains("concurrency", output.ToString(), StringComparison.Ordinal);
            Assert.StartsWith($"error: the results could not be written to {directory}/run.json and {directory}/run.md: ", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_BatchTheModelsShapeCannotCarry_SetupErrorNotAnInflatedThroughput()
    {
        _server.CannedMetadata = """{"name":"capture","inputs":[{"name":"x","datatype":"FP32","shape":[1,4]}],"outputs":[]}""";

        var (code, output, error) = await RunAsync("--model", "capture", "--batch", "8");

        Assert.Equal(1, code);
        Assert.StartsWith("error: --batch 8 cannot be sent to model 'capture'", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("[0,4]", "[0, 4]")]
    [InlineData("[3000000000,0]", "[3000000000, 0]")]
    public async Task RunAsync_InputFileFirstDimensionNoBatch_SetupError(string shape, string shown)
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, $$"""{"inputs":[{"name":"x","datatype":"FP32","shape":{{shape}},"data":[]}]}""");

            var (code, output, error) = await RunAsync("--model", "echo", "--input-file", path);

            Assert.Equal(1, code);
            Assert.Equal($"error: --input-file '{path}': its first input 'x' has shape {shown}, and dimension 0, the batch, must be from 1 to 2147483647", error.Trim());
            Assert.Equal("", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RunAsync_InputFile_BatchIsItsFirstDimension()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, """{"inputs":[{"name":"x","datatype":"FP32","shape":[3,1],"data":[1,2,3]}]}""");

            var (code, output, error) = await RunAsync("--model", "echo", "--input-file", path);

            Assert.True(code == 0, error);
            Assert.Contains("echo, rest-json, batch 3,", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
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
