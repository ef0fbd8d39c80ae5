using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AiServe.Server.Telemetry;
using Microsoft.AspNetCore.Http;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace AiServe.Server.Tests.Telemetry;

/// <summary>
/// The direct UTF-8 writer of the request line against Serilog's <see cref="RenderedCompactJsonFormatter"/>: the
/// same bytes for the same event; the middleware's levels; the sink's fallback, ordering and no-loss behaviour.
/// </summary>
public sealed class RequestLogLineTests
{
    public static TheoryData<string, string, string, string, double> Values => new()
    {
        { "POST", "/v2/models/iris/versions/1/infer", "iris", "1", 0.123456789 },
        { "GET", "/v2/health/ready", "-", "-", 12.5 },
        { "POST", "/v1/models/a\"b\\c:predict", "a\"b\\c", "x\ty\n\u0001", 1e-7 },
        { "PUT", "/v2/models/caf\u00e9/\u4e2d\u6587/\ud83d\ude00", "caf\u00e9", "\u2028", 123456.789 },
        { "POST", "/", "", "", double.NaN },
        { "POST", "/x", "m", "v", double.PositiveInfinity },

        // Whole nanoseconds (the fast path): half up on the 15 digits, where the double itself lies just below .xxx5.
        { "POST", "/y", "m", "1", 1.2345 },
        { "POST", "/y", "m", "1", 0.0005 },
        { "POST", "/y", "m", "1", 987654.3214995 },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void TryWrite_WritesTheBytesOfRenderedCompactJsonFormatter(string method, string path, string model, string version, double elapsed)
    {
        foreach (var (level, exception, activity) in new (LogEventLevel, Exception?, bool)[]
        {
            (LogEventLevel.Information, null, true),
            (LogEventLevel.Error, null, false),
            (LogEventLevel.Error, Thrown("boom \"quoted\"\nsecond line"), true),
            (LogEventLevel.Warning, null, true),
        })
        {
            var e = RequestEvent(level, exception, activity, method, path, model, version, 503, elapsed);
            var expected = Rendered(e);
            var bytes = new ArrayBufferWriter<byte>();
            Assert.True(RequestLogLine.TryWrite(e, bytes));
            Assert.Equal(expected, Encoding.UTF8.GetString(bytes.WrittenSpan));
            using var parsed = JsonDocument.Parse(bytes.WrittenMemory);
            Assert.Equal(path, parsed.RootElement.GetProperty("RequestPath").GetString());
        }
    }

    [Fact]
    public void Elapsed_InWholeNanoseconds_IsWrittenAsDoubleToStringWritesIt()
    {
        // What the middleware computes from Stopwatch ticks of a nanosecond clock, checked against the runtime's own
        // "0.000": every t up to 2,000,000 ns, then t spread up to the fast path's limit (10^12 ns).
        var random = new Random(7);
        Span<byte> d = stackalloc byte[64];
        for (long k = 0; k < 2_200_000; k++)
        {
            var t = k <= 2_000_000 ? k : random.NextInt64(1_000_000_000_000);
            var milliseconds = t * 1000 / 1e9;
            var i = 0;
            Assert.True(RequestLogLine.TryWriteWholeNanoseconds(d, ref i, milliseconds), $"t = {t}");
            var expected = milliseconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
            if (Encoding.ASCII.GetString(d[..i]) != expected)
            {
                Assert.Fail($"t = {t}: wrote {Encoding.ASCII.GetString(d[..i])}, the runtime writes {expected}");
            }
        }
    }

    [Theory]
    [InlineData(0.123456789)]
    [InlineData(1e-7)]
    [InlineData(-0.0)]
    [InlineData(-1.5)]
    [InlineData(1e6)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Elapsed_NotInWholeNanoseconds_IsLeftToTheRuntimesFormatting(double milliseconds)
    {
        Span<byte> d = stackalloc byte[64];
        var i = 0;
        Assert.False(RequestLogLine.TryWriteWholeNanoseconds(d, ref i, milliseconds));
        Assert.Equal(0, i);
    }

    [Fact]
    public void TryWrite_MissingPropertyOrAtName_MatchesTheFormatterToo()
    {
        var e = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null, RequestLogLine.Template,
            [new LogEventProperty("RequestMethod", new ScalarValue("GET")), new LogEventProperty("@odd", new ScalarValue(null))]);
        var bytes = new ArrayBufferWriter<byte>();
        Assert.True(RequestLogLine.TryWrite(e, bytes));
        Assert.Equal(Rendered(e), Encoding.UTF8.GetString(bytes.WrittenSpan));
    }

    [Fact]
    public void TryWrite_OtherTemplatesAndValueTypes_AreLeftToTheFormatter()
    {
        var bytes = new ArrayBufferWriter<byte>();
        var otherTemplate = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse(RequestLogLine.Text), []);
        Assert.False(RequestLogLine.TryWrite(otherTemplate, bytes));
        var structured = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null, RequestLogLine.Template,
            [new LogEventProperty("Model", new SequenceValue([new ScalarValue(1)]))]);
        Assert.False(RequestLogLine.TryWrite(structured, bytes));
        var otherScalar = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null, RequestLogLine.Template,
            [new LogEventProperty("Model", new ScalarValue(Guid.Empty))]);
        Assert.False(RequestLogLine.TryWrite(otherScalar, bytes));
        Assert.Equal(0, bytes.WrittenCount);
    }

    [Fact]
    public async Task Middleware_ServerError_IsLoggedAtError()
    {
        var lines = await RunMiddlewareAsync(http =>
        {
            http.Response.StatusCode = 503;
            return Task.CompletedTask;
        }, activity: false);

        var line = Assert.Single(lines);
        Assert.Equal("Error", line.GetProperty("@l").GetString());
        Assert.Equal(503, line.GetProperty("StatusCode").GetInt32());
        Assert.Equal("-", line.GetProperty("Model").GetString());
    }

    [Fact]
    public async Task Middleware_NoActivityNoTraceparent_NewTraceAndSpan_AndTheRequestAndConnectionIds()
    {
        var lines = await RunMiddlewareAsync(_ => Task.CompletedTask, activity: false);
        lines.AddRange(await RunMiddlewareAsync(_ => Task.CompletedTask, activity: false));

        Assert.Equal(2, lines.Count);
        Assert.All(lines, line =>
        {
            Assert.Matches("^[0-9a-f]{32}$", line.GetProperty("TraceId").GetString());
            Assert.Equal(line.GetProperty("TraceId").GetString(), line.GetProperty("@tr").GetString());
            Assert.Matches("^[0-9a-f]{16}$", line.GetProperty("@sp").GetString());
            Assert.Equal("0HN:00000001", line.GetProperty("RequestId").GetString());
            Assert.Equal("0HN", line.GetProperty("ConnectionId").GetString());
        });
        Assert.NotEqual(lines[0].GetProperty("TraceId").GetString(), lines[1].GetProperty("TraceId").GetString());
        Assert.DoesNotContain(lines, l => l.GetProperty("TraceId").GetString() == "00000000000000000000000000000000");
    }

    [Fact]
    public async Task Middleware_NoActivityWithTraceparent_TheHeadersTraceAndANewSpan()
    {
        var lines = await RunMiddlewareAsync(_ => Task.CompletedTask, activity: false,
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var line = Assert.Single(lines);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", line.GetProperty("TraceId").GetString());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", line.GetProperty("@tr").GetString());
        Assert.Matches("^[0-9a-f]{16}$", line.GetProperty("@sp").GetString());
        Assert.NotEqual("b7ad6b7169203331", line.GetProperty("@sp").GetString()); // the caller's span is the parent
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")] // an all-zero trace id is invalid
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    public async Task Middleware_NoActivityWithAnInvalidTraceparent_NewTrace(string traceparent)
    {
        var line = Assert.Single(await RunMiddlewareAsync(_ => Task.CompletedTask, activity: false, traceparent: traceparent));

        var trace = line.GetProperty("TraceId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", trace);
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", trace);
        Assert.NotEqual("00000000000000000000000000000000", trace);
    }

    [Fact]
    public async Task Middleware_WithAnActivity_ItsTraceAndSpan()
    {
        ActivityTraceId trace = default;
        ActivitySpanId span = default;
        var lines = await RunMiddlewareAsync(_ =>
        {
            (trace, span) = (Activity.Current!.TraceId, Activity.Current.SpanId);
            return Task.CompletedTask;
        }, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var line = Assert.Single(lines);
        Assert.Equal(trace.ToHexString(), line.GetProperty("TraceId").GetString());
        Assert.Equal(span.ToHexString(), line.GetProperty("@sp").GetString());
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", trace.ToHexString()); // the Activity's, not the header's
    }

    [Fact]
    public async Task Middleware_Exception_IsLoggedAsA500AtErrorWithTheException_AndGoesOn()
    {
        var lines = await RunMiddlewareAsync(
            http =>
            {
                RequestLogContext.SetModel(http, "iris", null);
                throw new InvalidOperationException("model failed");
            },
            expectThrow: true);

        var line = Assert.Single(lines);
        Assert.Equal("Error", line.GetProperty("@l").GetString());
        Assert.Equal(500, line.GetProperty("StatusCode").GetInt32());
        Assert.Equal("iris", line.GetProperty("Model").GetString());
        Assert.Contains("model failed", line.GetProperty("@x").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Middleware_RequestLogAtWarning_WritesNothingForSuccess()
    {
        var lines = await RunMiddlewareAsync(_ => Task.CompletedTask, minimum: LogEventLevel.Warning);
        Assert.Empty(lines);
    }

    [Fact]
    public void Sink_OtherEvents_GoThroughTheFormatter_AndLongLinesAndManyLinesAreAllWritten()
    {
        var output = new MemoryStream();
        var sink = new BufferedConsoleSink(new RenderedCompactJsonFormatter(), output, TimeProvider.System, TimeSpan.FromHours(1));
        using (var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        {
            logger.Information("Model {Model} loaded with {@Shape} in {Elapsed}", "caf\u00e9", new[] { 1, 4 }, TimeSpan.FromMilliseconds(3));
            logger.Warning("long {Text}", new string('\u00e9', 100_000)); // longer than the 64 KB buffer
            for (var i = 0; i < 5_000; i++)
            {
                logger.Write(RequestEvent(LogEventLevel.Information, null, false, "GET", "/v2/" + i, "m", "1", 200, i));
            }
        }

        sink.Dispose();
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5_002, lines.Count);
        Assert.Equal("Model \"caf\u00e9\" loaded with [1, 4] in 00:00:00.0030000", lines[0].GetProperty("@m").GetString());
        Assert.Equal(100_000, lines[1].GetProperty("Text").GetString()!.Length);
        Assert.Equal(Enumerable.Range(0, 5_000).Select(i => "/v2/" + i), lines.Skip(2).Select(l => l.GetProperty("RequestPath").GetString()));
    }

    private static async Task<List<JsonElement>> RunMiddlewareAsync(RequestDelegate next, LogEventLevel minimum = LogEventLevel.Information, bool expectThrow = false, bool activity = true, string? traceparent = null)
    {
        var output = new MemoryStream();
        using var current = activity ? new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start() : null;
        using (var sink = new BufferedConsoleSink(new RenderedCompactJsonFormatter(), output, TimeProvider.System, TimeSpan.FromHours(1)))
        {
            using var logger = new LoggerConfiguration()
                .MinimumLevel.Information()
                .MinimumLevel.Override(RequestLogMiddleware.SourceContext, minimum)
                .WriteTo.Sink(sink)
                .CreateLogger();
            var http = new DefaultHttpContext();
            http.Request.Method = "POST";
            http.Request.Path = "/v2/models/iris/infer";
            http.TraceIdentifier = "0HN:00000001";
            http.Connection.Id = "0HN";
            if (traceparent is not null)
            {
                http.Request.Headers.TraceParent = traceparent;
            }

            var middleware = new RequestLogMiddleware(next, logger);
            if (expectThrow)
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.InvokeAsync(http));
            }
            else
            {
                await middleware.InvokeAsync(http);
            }
        }

        return Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }

    private static LogEvent RequestEvent(LogEventLevel level, Exception? exception, bool activity, string method, string path, string model, string version, int status, double elapsed)
    {
        var traceId = activity ? ActivityTraceId.CreateRandom() : default;
        var spanId = activity ? ActivitySpanId.CreateRandom() : default;
        return new LogEvent(DateTimeOffset.Now, level, exception, RequestLogLine.Template,
        [
            new LogEventProperty(RequestLogLine.Model, new ScalarValue(model)),
            new LogEventProperty(RequestLogLine.ModelVersion, new ScalarValue(version)),
            new LogEventProperty(RequestLogLine.TraceId, new ScalarValue(activity ? traceId.ToHexString() : "0HN:1")),
            new LogEventProperty(RequestLogLine.RequestMethod, new ScalarValue(method)),
            new LogEventProperty(RequestLogLine.RequestPath, new ScalarValue(path)),
            new LogEventProperty(RequestLogLine.StatusCode, new ScalarValue(status)),
            new LogEventProperty(RequestLogLine.Elapsed, new ScalarValue(elapsed)),
            new LogEventProperty("SourceContext", new ScalarValue(RequestLogMiddleware.SourceContext)),
        ], traceId, spanId);
    }

    private static string Rendered(LogEvent e)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        new RenderedCompactJsonFormatter().Format(e, text);
        return text.ToString();
    }

    private static InvalidOperationException Thrown(string message)
    {
        try
        {
            throw new InvalidOperationException(message);
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }
}
