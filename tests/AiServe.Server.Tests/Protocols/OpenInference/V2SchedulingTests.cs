using System.Net;
using AiServe.Core.Inference;
using AiServe.Tests.Common;
using Microsoft.Extensions.DependencyInjection;

namespace AiServe.Server.Tests.Protocols.OpenInference;

/// <summary>Overload and deadlines over HTTP, on a fake model whose runs wait at a gate the test controls.</summary>
public sealed class V2SchedulingTests : IDisposable
{
    private const string Request = """{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""";

    private readonly TempModelRepository _repo = new();
    private readonly FakeModelBackend _backend = new();
    private readonly ManualResetEventSlim _gate = new(false);

    public V2SchedulingTests()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Root, "slow", "1"));
        File.WriteAllText(Path.Combine(_repo.Root, "slow", "1", "model.onnx"), "ok");
    }

    public void Dispose()
    {
        _gate.Set();
        _gate.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Infer_QueueFull_Returns429WithRetryAfterAtOnce()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4, "dynamic_batching": {"enabled": false, "max_queue_size": 1}}""");
        using var _ = factory;
        var running = V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);
        Assert.True(await Eventually.TrueAsync(() => _backend.Loaded[0].Runs >= 2));
        var queued = V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);
        Assert.True(await Eventually.TrueAsync(() => factory.Manager.Resolve("slow").Scheduler!.QueuedRequests == 1));

        using var content = new StringContent(Request);
        using var refused = await client.PostAsync("/v2/models/slow/infer", content);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("is full", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Refused before the body is read: even a malformed body gets 429, not 400, on V2 and TF Serving alike.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await V2Http.PostJsonAsync(client, "/v2/models/slow/infer", "{not json")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await V2Http.PostJsonAsync(client, "/v1/models/slow:predict", "{not json")).Status);
        _gate.Set();
        Assert.Equal(HttpStatusCode.OK, (await running).Status);
        Assert.Equal(HttpStatusCode.OK, (await queued).Status);
    }

    [Fact]
    public async Task Infer_TimeoutParameterPasses_Returns504()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/slow/infer",
            """{"parameters": {"timeout": 20000}, "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""");

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("deadline of 20 ms passed", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_RequestTimeoutHeaderPasses_Returns504()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        using var content = new StringContent(Request);
        content.Headers.Add("X-Request-Timeout", "20");

        using var response = await client.PostAsync("/v2/models/slow/infer", content);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Theory]
    [InlineData("/v2/models/slow/infer", Request)]
    [InlineData("/v1/models/slow:predict", """{"instances": [[1, 2]]}""")]
    public async Task Infer_BodySlowerThanTheTimeoutHeader_Returns504WithoutWaitingForTheBody(string url, string json)
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        _gate.Set();
        using var content = new StalledContent(json);
        content.Headers.Add("X-Request-Timeout", "50");

        // The rest of the body never comes: only the deadline can end the request (the bound only stops a hang).
        using var response = await factory.CreateStreamingClient().PostAsync(url, content).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("deadline of 50 ms passed while its body was being read (model 'slow' version 1)",
            await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(response.Headers.ConnectionClose, "the body was left unread: the connection must not be reused");
    }

    [Fact]
    public async Task Infer_TimeSpentReadingTheBody_CountsAgainstTheDeadline()
    {
        var time = new TimerCountingTimeProvider();
        var (factory, client) = await StartAsync("""{"max_batch_size": 4, "dynamic_batching": {"enabled": false}}""", time);
        using var _ = factory;
        var running = V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);
        Assert.True(await Eventually.TrueAsync(() => _backend.Loaded[0].Runs >= 2));
        var timers = time.TimersCreated;
        using var content = new StalledContent(Request);
        content.Headers.Add("X-Request-Timeout", "50");
        var answer = factory.CreateStreamingClient().PostAsync("/v2/models/slow/infer", content);

        Assert.True(await Eventually.TrueAsync(() => time.TimersCreated > timers)); // the body's read is watching the deadline
        time.Advance(TimeSpan.FromMilliseconds(30));        // the body arrives slowly, within the deadline
        content.Release();
        var scheduler = factory.Manager.Resolve("slow").Scheduler!;
        Assert.True(await Eventually.TrueAsync(() => scheduler.QueuedRequests == 1));
        time.Advance(TimeSpan.FromMilliseconds(25));        // 55 ms since it arrived, 25 ms since it was queued
        using var response = await answer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("deadline of 50 ms passed while it was queued", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        _gate.Set();
        Assert.Equal(HttpStatusCode.OK, (await running).Status);
    }

    [Fact]
    public async Task Predict_TimeoutHeaderPasses_Returns504OnTfServingToo()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        using var content = new StringContent("""{"instances": [[1, 2]]}""");
        content.Headers.Add("X-Request-Timeout", "20");

        using var response = await client.PostAsync("/v1/models/slow:predict", content);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("deadline of 20 ms passed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Infer_TimeoutZero_MeansNoDeadline(bool header)
    {
        // Triton's timeout of 0 means none; its clients may send it.
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        using var content = new StringContent(header ? Request : """{"parameters": {"timeout": 0}, "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""");
        if (header)
        {
            content.Headers.Add("X-Request-Timeout", "0");
        }

        var answer = client.PostAsync("/v2/models/slow/infer", content);
        Assert.True(await Eventually.TrueAsync(() => _backend.Loaded[0].Runs >= 2));
        _gate.Set();
        using var response = await answer;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("9223372036854775807", null)]
    [InlineData("10000000000000", null)]
    [InlineData(null, "1e300")]
    [InlineData(null, "99999999999")]
    public async Task Infer_TimeoutLongerThanATimerTakes_RunsWithoutDeadline(string? parameter, string? header)
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        _gate.Set();
        using var content = new StringContent(parameter is null ? Request : $$"""{"parameters": {"timeout": {{parameter}}}, "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""");
        if (header is not null)
        {
            content.Headers.Add("X-Request-Timeout", header);
        }

        using var response = await client.PostAsync("/v2/models/slow/infer", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Infer_TimeoutZeroWithModelDefault_ModelDefaultApplies()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4, "dynamic_batching": {"default_timeout_ms": 20}}""");
        using var _ = factory;

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/slow/infer",
            """{"parameters": {"timeout": 0}, "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""");

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("deadline of 20 ms", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ModelDefaultTimeout_AppliesWithoutRequestTimeout()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4, "dynamic_batching": {"default_timeout_ms": 20}}""");
        using var _ = factory;

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("deadline of 20 ms", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"parameters": {"priority": -1}, "inputs": []}""", "parameters.priority must be a non-negative integer")]
    [InlineData("""{"parameters": {"priority": "high"}, "inputs": []}""", "parameters.priority must be a non-negative integer")]
    [InlineData("""{"parameters": {"timeout": -5}, "inputs": []}""", "parameters.timeout must be a non-negative integer number of microseconds")]
    public async Task Infer_BadSchedulingParameters_Return400(string json, string message)
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        _gate.Set();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/slow/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BadTimeoutHeader_Returns400()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4}""");
        using var _ = factory;
        using var content = new StringContent(Request);
        content.Headers.Add("X-Request-Timeout", "soon");

        using var response = await client.PostAsync("/v2/models/slow/infer", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("X-Request-Timeout must be a non-negative number of milliseconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ClientDisconnectsWhileQueued_WorkIsDropped()
    {
        var (factory, client) = await StartAsync("""{"max_batch_size": 4, "dynamic_batching": {"enabled": false}}""");
        using var _ = factory;
        var running = V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);
        Assert.True(await Eventually.TrueAsync(() => _backend.Loaded[0].Runs >= 2));
        using var cts = new CancellationTokenSource();
        using var content = new StringContent(Request);
        var abandoned = client.PostAsync("/v2/models/slow/infer", content, cts.Token);
        var scheduler = factory.Manager.Resolve("slow").Scheduler!;
        Assert.True(await Eventually.TrueAsync(() => scheduler.QueuedRequests == 1));

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.True(await Eventually.TrueAsync(() => scheduler.QueuedRequests == 0));
        _gate.Set();
        await running;

        Assert.Equal(0, scheduler.QueuedRequests);
        Assert.Equal(2, _backend.Loaded[0].Runs);
    }

    private async Task<(AiServeFactory, HttpClient)> StartAsync(string config, TimeProvider? time = null)
    {
        _repo.WriteConfig("slow", config);
        var factory = new AiServeFactory(_repo.Root, services: s =>
        {
            s.AddSingleton<IModelBackend>(_backend);
            if (time is not null)
            {
                s.AddSingleton(time);
            }
        });
        var client = await factory.StartAsync();

        // Warm-up has run; from now on every run waits at the gate.
        _backend.Loaded.ForEach(i => i.Gate = _gate);
        return (factory, client);
    }

    /// <summary>A JSON body sent in two parts: the first half at once, the rest only after <see cref="Release"/>.</summary>
    private sealed class StalledContent(string json) : HttpContent
    {
        private readonly byte[] _bytes = System.Text.Encoding.UTF8.GetBytes(json);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var half = _bytes.Length / 2;
            await stream.WriteAsync(_bytes.AsMemory(0, half));
            await stream.FlushAsync();
            await _released.Task;
            await stream.WriteAsync(_bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            _released.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
