using AiServe.Bench;

namespace AiServe.Client.Tests.Bench;

public sealed class RunnerTests : IAsyncLifetime
{
    private FakeV2Server _server = null!;

    public async Task InitializeAsync() => _server = await FakeV2Server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static EncodedInferRequest Body => EncodedInferRequest.Encode(new InferRequest(InferTensor.Fp32("x", [2, 4], new float[8])));

    [Fact]
    public async Task RunStepAsync_EchoModel_CountsSuccessesOnly()
    {
        // No warm-up, so each worker's first request starts inside the window and counts however slow the machine
        // is; a priming call keeps JIT and connection set-up out of it.
        await _server.Client.InferAsync("echo", null, Body);
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromMilliseconds(500), Warmup = TimeSpan.Zero };
        var runner = new Runner(_server.Client, options, Body, batch: 2);

        var step = await runner.RunStepAsync(concurrency: 2, CancellationToken.None);

        Assert.True(step.Requests > 0, $"{step.Requests} ok, errors: {string.Join(", ", step.Errors)}, {step.Seconds} s");
        Assert.Equal(0, step.ErrorCount);
        Assert.Equal(step.Requests, step.Latency.Count);
        Assert.Equal((2, 2, false), (step.Concurrency, step.Batch, step.Cancelled));
        Assert.Equal(step.RequestsPerSecond * 2, step.InferencesPerSecond, 6);
    }

    [Fact]
    public async Task RunStepAsync_UnknownModel_ErrorsByStatus()
    {
        var options = new BenchOptions { Model = "nope", Duration = TimeSpan.FromMilliseconds(100), Warmup = TimeSpan.Zero };
        var runner = new Runner(_server.Client, options, Body, batch: 1);

        var step = await runner.RunStepAsync(concurrency: 1, CancellationToken.None);

        Assert.Equal(0, step.Requests);
        Assert.Equal("404", Assert.Single(step.Errors).Key);
        Assert.Same(LatencyStats.Empty, step.Latency);
        var refused = Assert.Single(step.ErrorLatency);
        Assert.Equal(("404", step.Errors["404"]), (refused.Key, (long)refused.Value.Count));
        Assert.True(refused.Value.P99Ms > 0);
    }

    [Fact]
    public async Task RunStepAsync_UnexpectedExceptionFromARequest_CountedAsBadResponse()
    {
        using var http = new HttpClient(new ThrowingHandler()) { BaseAddress = _server.Http.BaseAddress };
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromMilliseconds(100), Warmup = TimeSpan.Zero };
        var runner = new Runner(new V2Client(http), options, Body, batch: 1);

        var step = await runner.RunStepAsync(concurrency: 2, CancellationToken.None);

        Assert.Equal(0, step.Requests);
        Assert.Equal("bad-response", Assert.Single(step.Errors).Key);
    }

    [Fact]
    public async Task RunStepAsync_StalledServer_InFlightRequestsCutOffAsUnfinished()
    {
        // The server never answers within the client's timeout; the step must end at its window (and grace), with
        // its requests counted as cut off, not at the timeout with timeouts blamed on the server.
        using var http = new HttpClient { BaseAddress = _server.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var runner = StalledRunner(http);

        var step = await runner.RunStepAsync(concurrency: 3, CancellationToken.None);

        Assert.Equal(0, step.Requests);
        Assert.Equal(new Dictionary<string, long> { ["unfinished"] = 3 }, step.Errors);
        Assert.Empty(step.ErrorLatency); // cut off by the runner: no latency was measured
        Assert.False(step.Cancelled);
    }

    [Fact]
    public async Task RunRateStepAsync_StalledServer_InFlightRequestsCutOffAsUnfinished()
    {
        using var http = new HttpClient { BaseAddress = _server.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var runner = StalledRunner(http);

        var step = await runner.RunRateStepAsync(rate: 20, CancellationToken.None);

        Assert.Equal(0, step.Requests);
        Assert.Equal("unfinished", Assert.Single(step.Errors).Key);
        Assert.InRange(step.Errors["unfinished"], 1, 4);
    }

    [Fact]
    public async Task RunStepAsync_Cancelled_StopsAndSaysSo()
    {
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromHours(1), Warmup = TimeSpan.Zero };
        var runner = new Runner(_server.Client, options, Body, batch: 1);
        using var cancel = new CancellationTokenSource();

        var running = runner.RunStepAsync(concurrency: 2, cancel.Token);
        await cancel.CancelAsync();
        var step = await running;

        Assert.True(step.Cancelled);
    }

    [Fact]
    public async Task RunStepAsync_WorkersThatSendNothing_CostNoRecordingBuffers()
    {
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromHours(1), Warmup = TimeSpan.Zero };
        var runner = new Runner(_server.Client, options, Body, batch: 1);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        // Stopped before it starts, the step runs to its end on this thread: its allocations are this thread's.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var step = await runner.RunStepAsync(concurrency: 10_000, cancel.Token);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(step.Cancelled);
        Assert.True(allocated < 50_000_000, $"{allocated / 1_000_000} MB for 10000 idle workers");
    }

    [Fact]
    public async Task RunRateStepAsync_SendsAtTheRate_NeverAheadOfIt()
    {
        await _server.Client.InferAsync("echo", null, Body);
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromMilliseconds(500), Warmup = TimeSpan.Zero };
        var runner = new Runner(_server.Client, options, Body, batch: 2);

        var step = await runner.RunRateStepAsync(rate: 200, CancellationToken.None);

        // 200/s for 0.5 s schedules at most 100 requests, whatever the machine; a slow machine sends fewer.
        Assert.InRange(step.Requests + step.ErrorCount, 1, 100);
        Assert.Equal(0, step.ErrorCount);
        Assert.Equal((200, 1000, 2), (step.RequestRate, step.Concurrency, step.Batch));
        Assert.Equal("rate 200/s", step.Label);
    }

    [Fact]
    public async Task RunRateStepAsync_OutstandingLimitReached_DueRequestsNotSent()
    {
        // One request at a time against a model that answers after 100 ms, due every 5 ms: most cannot be sent.
        _server.Delay = TimeSpan.FromMilliseconds(100);
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromMilliseconds(500), Warmup = TimeSpan.Zero, MaxOutstanding = 1 };
        var runner = new Runner(_server.Client, options, Body, batch: 1);

        var step = await runner.RunRateStepAsync(rate: 200, CancellationToken.None);

        Assert.True(step.Errors.GetValueOrDefault("not-sent") > 50, $"{string.Join(", ", step.Errors)}; {step.Requests} ok in {step.Seconds} s");
        Assert.InRange(step.Requests, 1, 6);
        Assert.InRange(step.Requests + step.ErrorCount, 1, 100);
    }

    /// <summary>A runner of 200 ms steps against the fake server made to answer nothing for an hour.</summary>
    private Runner StalledRunner(HttpClient http)
    {
        _server.Delay = TimeSpan.FromHours(1);
        var options = new BenchOptions { Model = "echo", Duration = TimeSpan.FromMilliseconds(200), Warmup = TimeSpan.Zero };
        return new Runner(new V2Client(http), options, Body, batch: 1);
    }

    /// <summary>Fails every request with an exception the client's contract does not name.</summary>
    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not a V2 answer");
    }
}
