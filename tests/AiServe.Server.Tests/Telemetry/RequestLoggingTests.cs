using System.Collections.Concurrent;
using AiServe.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace AiServe.Server.Tests.Telemetry;

public sealed class RequestLoggingTests
{
    [Fact]
    public async Task Infer_Request_LogsOneLineWithModelVersionStatusAndTraceButNoTensorData()
    {
        var sink = new CollectingSink();
        using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton<ILogEventSink>(sink));
        var client = await factory.StartAsync();

        await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.123456, 3.5, 1.4, 0.2]}]}""");

        var line = Assert.Single(sink.Events, e => e.Properties.TryGetValue("RequestPath", out var p) && p.ToString().Contains("/infer", StringComparison.Ordinal));
        Assert.Equal("\"POST\"", line.Properties["RequestMethod"].ToString());
        Assert.Equal("200", line.Properties["StatusCode"].ToString());
        Assert.Equal("\"iris\"", line.Properties["Model"].ToString());
        Assert.Equal("\"1\"", line.Properties["ModelVersion"].ToString());
        Assert.True(line.Properties.ContainsKey("Elapsed"));
        Assert.Matches("^\"[0-9a-f]{32}\"$", line.Properties["TraceId"].ToString());
        Assert.DoesNotContain(sink.Events, e => e.RenderMessage().Contains("5.123456", StringComparison.Ordinal)
            || e.Properties.Values.Any(v => v.ToString().Contains("5.123456", StringComparison.Ordinal)));
    }

    private sealed class CollectingSink : ILogEventSink
    {
        private readonly ConcurrentQueue<LogEvent> _events = new();

        public IReadOnlyList<LogEvent> Events => _events.ToArray();

        public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);
    }
}
