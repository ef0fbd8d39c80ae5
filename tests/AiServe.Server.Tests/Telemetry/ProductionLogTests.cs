using System.Net;
using System.Text;
using System.Text.Json;
using AiServe.Server.Telemetry;
using AiServe.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiServe.Server.Tests.Telemetry;

/// <summary>
/// The Production log as an operator reads it: the whole server in the Production environment, its log sent to a
/// captured stream instead of standard output, parsed line by line.
/// </summary>
public sealed class ProductionLogTests
{
    private const string IrisBody = """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.123456, 3.5, 1.4, 0.2]}]}""";

    [Fact]
    public async Task Infer_Request_WritesOneClefLineWithTheRequestFieldsAndNoPayload()
    {
        var (lines, text) = await RunAsync(async client =>
        {
            var (status, _) = await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer", IrisBody);
            Assert.Equal(HttpStatusCode.OK, status);
        });

        var line = Assert.Single(lines, l => Path(l) == "/v2/models/iris/versions/1/infer");
        Assert.True(DateTimeOffset.TryParse(line.GetProperty("@t").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.False(line.TryGetProperty("@l", out _)); // Information, as CLEF leaves it out
        Assert.Matches("^[0-9a-f]{8}$", line.GetProperty("@i").GetString());
        Assert.Equal("POST", line.GetProperty("RequestMethod").GetString());
        Assert.Equal(200, line.GetProperty("StatusCode").GetInt32());
        Assert.True(line.GetProperty("Elapsed").GetDouble() >= 0);
        Assert.Equal("iris", line.GetProperty("Model").GetString());
        Assert.Equal("1", line.GetProperty("ModelVersion").GetString());
        var traceId = line.GetProperty("TraceId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.Equal(traceId, line.GetProperty("@tr").GetString());
        Assert.Matches("^[0-9a-f]{16}$", line.GetProperty("@sp").GetString());
        Assert.Equal(RequestLogMiddleware.SourceContext, line.GetProperty("SourceContext").GetString());
        Assert.Matches(
            "^HTTP \"POST\" \"/v2/models/iris/versions/1/infer\" responded 200 in [0-9]+\\.[0-9]{3} ms \\(model \"iris\", version \"1\", trace \"[0-9a-f]{32}\"\\)$",
            line.GetProperty("@m").GetString());
        Assert.DoesNotContain("5.123456", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_RequestWithTraceparent_LineCarriesItsTraceAndTheRequestAndConnectionIds()
    {
        const string Trace = "0af7651916cd43dd8448eb211c80319c";
        var (lines, _) = await RunAsync(async client =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/iris/versions/1/infer")
            {
                Content = new StringContent(IrisBody, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("traceparent", $"00-{Trace}-b7ad6b7169203331-01");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        var line = Assert.Single(lines, l => Path(l) == "/v2/models/iris/versions/1/infer");
        Assert.Equal(Trace, line.GetProperty("TraceId").GetString());
        Assert.Equal(Trace, line.GetProperty("@tr").GetString());
        Assert.Matches("^[0-9a-f]{16}$", line.GetProperty("@sp").GetString());
        Assert.False(string.IsNullOrEmpty(line.GetProperty("RequestId").GetString()));
        Assert.Equal(JsonValueKind.String, line.GetProperty("ConnectionId").ValueKind);
    }

    [Fact]
    public void HostingDiagnosticsLogger_OffUnlessConfigured()
    {
        // While it can log, ASP.NET Core makes an Activity and a log scope for every request (LoggingExtensions).
        const string Category = "Microsoft.AspNetCore.Hosting.Diagnostics";
        using var factory = new AiServeFactory(TestPaths.Models, environment: "Production");
        Assert.False(factory.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).IsEnabled(LogLevel.Critical));

        using var configured = factory.WithWebHostBuilder(b => b.UseSetting($"Serilog:MinimumLevel:Override:{Category}", "Warning"));
        var logger = configured.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.False(logger.IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task ClientErrors_AreLoggedAtInformation_WithTheirStatus()
    {
        var (lines, _) = await RunAsync(async client =>
        {
            var (unknown, _) = await V2Http.PostJsonAsync(client, "/v2/models/nope/infer", IrisBody);
            Assert.Equal(HttpStatusCode.NotFound, unknown);
            var (bad, _) = await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer", "{\"inputs\": [");
            Assert.Equal(HttpStatusCode.BadRequest, bad);
        });

        var notFound = Assert.Single(lines, l => Path(l) == "/v2/models/nope/infer");
        Assert.Equal(404, notFound.GetProperty("StatusCode").GetInt32());
        Assert.False(notFound.TryGetProperty("@l", out _));
        var badRequest = Assert.Single(lines, l => Path(l) == "/v2/models/iris/versions/1/infer");
        Assert.Equal(400, badRequest.GetProperty("StatusCode").GetInt32());
        Assert.Equal("iris", badRequest.GetProperty("Model").GetString());
    }

    [Fact]
    public async Task ManyConcurrentRequests_EachWriteOneWholeLine()
    {
        const int requests = 400;
        var (lines, _) = await RunAsync(async client =>
        {
            await Parallel.ForAsync(0, requests, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            {
                if (i % 4 == 0)
                {
                    var (status, _) = await V2Http.PostJsonAsync(client, "/v2/models/nope/infer", IrisBody);
                    Assert.Equal(HttpStatusCode.NotFound, status);
                }
                else
                {
                    var (status, _) = await V2Http.PostJsonAsync(client, "/v2/models/iris/versions/1/infer", IrisBody);
                    Assert.Equal(HttpStatusCode.OK, status);
                }
            });
        });

        // Every line parsed as one JSON object (RunAsync), and each request has its line.
        Assert.Equal(requests / 4, lines.Count(l => Path(l) == "/v2/models/nope/infer"));
        Assert.Equal(requests * 3 / 4, lines.Count(l => Path(l) == "/v2/models/iris/versions/1/infer" && l.GetProperty("StatusCode").GetInt32() == 200));
        Assert.Equal(requests, lines.Where(l => Path(l) is { } p && p.Contains("/infer", StringComparison.Ordinal))
            .Select(l => l.GetProperty("TraceId").GetString()).Distinct().Count());
    }

    private static string? Path(JsonElement line) =>
        line.TryGetProperty("RequestPath", out var p) ? p.GetString() : null;

    [Fact]
    public async Task BodyCutOffByItsDeadline_LogsTheRequestLineButNoKestrelError()
    {
        // Over real Kestrel: the body's read is cut off at the deadline, and Kestrel then fails to drain the rest of
        // the body (event 67), an error that says nothing about the server.
        var output = new CaptureStream();
        await using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton(new LogOutput(output)), environment: "Production");
        var address = await factory.StartOnKestrelAsync();

        var answer = await RawHttp.SendUntilClosedAsync(address,
            "POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Timeout: 50\r\nContent-Length: 5000\r\n\r\n{\"inputs\": [");

        Assert.StartsWith("HTTP/1.1 504 ", answer, StringComparison.Ordinal);
        factory.Services.GetRequiredService<BufferedConsoleSink>().Flush();
        var text = output.Text();
        Assert.Contains("responded 504", text, StringComparison.Ordinal);
        Assert.DoesNotContain("automatic draining", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadinessAnswering503_LoggedAsInformation()
    {
        var output = new CaptureStream();
        using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton(new LogOutput(output)), environment: "Production");
        var client = await factory.StartAsync();
        factory.Manager.BeginDrain();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        factory.Services.GetRequiredService<BufferedConsoleSink>().Flush();

        var lines = output.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.TryGetProperty("StatusCode", out var status) && status.GetInt32() == 503).ToList();
        Assert.True(lines.Count >= 2);
        Assert.All(lines, l => Assert.False(l.TryGetProperty("@l", out _))); // Information, which CLEF leaves out
    }

    [Fact]
    public async Task ClientResetsMidBody_Logs499AndNoError()
    {
        var output = new CaptureStream();
        await using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton(new LogOutput(output)), environment: "Production");
        var address = await factory.StartOnKestrelAsync();

        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await socket.ConnectAsync(IPAddress.Loopback, address.Port);
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                "POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inp"));
            Assert.True(await Eventually.TrueAsync(() => factory.Manager.InFlight == 1)); // the request is reading its body
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // closed with a reset, as by a client that crashed
        }

        var sink = factory.Services.GetRequiredService<BufferedConsoleSink>();
        Assert.True(await Eventually.TrueAsync(() =>
        {
            sink.Flush();
            return output.Text().Contains("responded 499", StringComparison.Ordinal);
        }), output.Text());
        Assert.DoesNotContain("\"@l\":\"Error\"", output.Text(), StringComparison.Ordinal); // nor for readiness 503s while the models load
    }

    /// <summary>
    /// Runs a Production server, flushes its log once the requests are answered (each request's line is written
    /// before its response completes), and parses every line written so far.
    /// </summary>
    private static async Task<(List<JsonElement> Lines, string Text)> RunAsync(Func<HttpClient, Task> requests)
    {
        var output = new CaptureStream();
        using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton(new LogOutput(output)), environment: "Production");
        var client = await factory.StartAsync();
        await requests(client);
        factory.Services.GetRequiredService<BufferedConsoleSink>().Flush();

        var text = output.Text();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, l.ValueKind));
        return (lines, text);
    }

    /// <summary>A memory stream that can be read while the server may still write to it.</summary>
    private sealed class CaptureStream : MemoryStream
    {
        private readonly Lock _lock = new();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_lock)
            {
                base.Write(buffer, offset, count);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_lock)
            {
                base.Write(buffer);
            }
        }

        public string Text()
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(GetBuffer(), 0, (int)Length);
            }
        }
    }
}
