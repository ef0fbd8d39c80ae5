using System.Diagnostics;
using System.Text;
using AiServe.Server.Telemetry;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Hosting;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace AiServe.Benchmarks;

/// <summary>
/// The cost of one request's log line, end to end: a logging middleware around an endpoint that only names the
/// model (as the V2 adapter does), a Serilog logger configured as the server's (Information, Microsoft.AspNetCore at
/// Warning, LogContext enrichment), and a buffered sink writing to <see cref="Stream.Null"/>. The request has an
/// Activity (trace id), as it does in the server. Rows: the pipeline before this change (Serilog's
/// <c>UseSerilogRequestLogging</c> with <c>EnrichDiagnosticContext</c>, <c>RenderedCompactJsonFormatter</c>, the
/// StringWriter → StreamWriter sink), the candidates, and the same middlewares with the line turned off (level
/// Warning) and no middleware at all, for the floor.
/// </summary>
[MemoryDiagnoser]
public class RequestLogBenchmarks
{
    private const string Path = "/v2/models/iris/versions/1/infer";

    private readonly List<IDisposable> _disposables = [];
    private DefaultHttpContext _http = null!;
    private Activity _activity = null!;
    private RequestDelegate _serilogRenderedText = null!;
    private RequestDelegate _serilogCompactText = null!;
    private RequestDelegate _serilogRenderedUtf8 = null!;
    private RequestDelegate _leanRenderedText = null!;
    private RequestDelegate _leanUtf8 = null!;
    private RequestDelegate _serilogOff = null!;
    private RequestDelegate _leanOff = null!;
    private RequestDelegate _endpointOnly = null!;

    [GlobalSetup]
    public void Setup()
    {
        _activity = new Activity("bench").SetIdFormat(ActivityIdFormat.W3C).Start();
        _http = new DefaultHttpContext();
        _http.Request.Method = HttpMethods.Post;
        _http.Request.Path = Path;

        _serilogRenderedText = SerilogMiddleware(TextSink(new RenderedCompactJsonFormatter(), Stream.Null), off: false);
        _serilogCompactText = SerilogMiddleware(TextSink(new CompactJsonFormatter(), Stream.Null), off: false);
        _serilogRenderedUtf8 = SerilogMiddleware(Utf8Sink(Stream.Null), off: false);
        _leanRenderedText = LeanMiddleware(TextSink(new RenderedCompactJsonFormatter(), Stream.Null), off: false);
        _leanUtf8 = LeanMiddleware(Utf8Sink(Stream.Null), off: false);
        _serilogOff = SerilogMiddleware(Utf8Sink(Stream.Null), off: true);
        _leanOff = LeanMiddleware(Utf8Sink(Stream.Null), off: true);
        _endpointOnly = Endpoint;

        // Check once that each pipeline writes the line it is meant to (with the trace id), and show the lines.
        foreach (var (name, build) in new (string, Func<ILogEventSink, RequestDelegate>)[]
        {
            ("Serilog middleware, Rendered, StringWriter sink", s => SerilogMiddleware(s, false)),
            ("lean middleware, UTF-8 sink", s => LeanMiddleware(s, false)),
        })
        {
            var memory = new MemoryStream();
            ILogEventSink sink = name.Contains("UTF-8", StringComparison.Ordinal) ? Utf8Sink(memory) : TextSink(new RenderedCompactJsonFormatter(), memory);
            build(sink)(_http).GetAwaiter().GetResult();
            ((IDisposable)sink).Dispose();
            var line = Encoding.UTF8.GetString(memory.ToArray());
            Console.WriteLine($"// {name}: {line.TrimEnd()}");
            if (!line.Contains("\"@tr\":\"" + _activity.TraceId.ToHexString(), StringComparison.Ordinal) || !line.Contains("\"Model\":\"iris\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"unexpected line from {name}: {line}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }

        _activity.Dispose();
    }

    [Benchmark(Baseline = true, Description = "before: Serilog middleware + Rendered + StringWriter sink")]
    public Task SerilogRenderedText() => _serilogRenderedText(_http);

    [Benchmark(Description = "Serilog middleware + Compact (no @m) + StringWriter sink")]
    public Task SerilogCompactText() => _serilogCompactText(_http);

    [Benchmark(Description = "Serilog middleware + Rendered + UTF-8 sink (fallback path)")]
    public Task SerilogRenderedUtf8() => _serilogRenderedUtf8(_http);

    [Benchmark(Description = "lean middleware + Rendered + StringWriter sink")]
    public Task LeanRenderedText() => _leanRenderedText(_http);

    [Benchmark(Description = "after: lean middleware + UTF-8 sink (direct CLEF)")]
    public Task LeanUtf8() => _leanUtf8(_http);

    [Benchmark(Description = "Serilog middleware, line off (Warning)")]
    public Task SerilogOff() => _serilogOff(_http);

    [Benchmark(Description = "lean middleware, line off (Warning)")]
    public Task LeanOff() => _leanOff(_http);

    [Benchmark(Description = "no logging middleware")]
    public Task EndpointOnly() => _endpointOnly(_http);

    private static Task Endpoint(HttpContext http)
    {
        RequestLogContext.SetModel(http, "iris", "1");
        http.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private static Logger Logger(ILogEventSink sink, bool off) => new LoggerConfiguration()
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
        .MinimumLevel.Override(RequestLogMiddleware.SourceContext, off ? LogEventLevel.Warning : LogEventLevel.Information)
        .Enrich.FromLogContext()
        .WriteTo.Sink(sink)
        .CreateLogger();

    /// <summary>The request logging of main before this change (LoggingExtensions.UseAiServeRequestLogging then).</summary>
    private RequestDelegate SerilogMiddleware(ILogEventSink sink, bool off)
    {
        var logger = Logger(sink, off);
        _disposables.Add(logger);
        var services = new ServiceCollection().AddSingleton(new DiagnosticContext(logger)).BuildServiceProvider();
        var app = new ApplicationBuilder(services);
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            options.MessageTemplate = RequestLogLine.Text;
            options.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                diagnostics.Set("Model", RequestLogContext.Model(http) ?? "-");
                diagnostics.Set("ModelVersion", RequestLogContext.Version(http) ?? "-");
                diagnostics.Set("TraceId", Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
            };
        });
        app.Run(Endpoint);
        return app.Build();
    }

    private RequestDelegate LeanMiddleware(ILogEventSink sink, bool off)
    {
        var logger = Logger(sink, off);
        _disposables.Add(logger);
        var middleware = new RequestLogMiddleware(Endpoint, logger);
        return middleware.InvokeAsync;
    }

    private StringWriterSink TextSink(ITextFormatter formatter, Stream stream)
    {
        var sink = new StringWriterSink(formatter, stream);
        _disposables.Add(sink);
        return sink;
    }

    private BufferedConsoleSink Utf8Sink(Stream stream)
    {
        var sink = new BufferedConsoleSink(new RenderedCompactJsonFormatter(), stream, TimeProvider.System, TimeSpan.FromMilliseconds(250));
        _disposables.Add(sink);
        return sink;
    }

    /// <summary>
    /// BufferedConsoleSink as it was before this change: format into a per-thread StringWriter, then append the text
    /// under a lock to a 64 KB StreamWriter (which encodes it to UTF-8); flushed on disposal here.
    /// </summary>
    private sealed class StringWriterSink(ITextFormatter formatter, Stream stream) : ILogEventSink, IDisposable
    {
        [ThreadStatic]
        private static StringWriter? _scratch;

        private readonly StreamWriter _out = new(stream, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { AutoFlush = false };
        private readonly Lock _lock = new();

        public void Emit(LogEvent logEvent)
        {
            var scratch = _scratch ??= new StringWriter(new StringBuilder(512), System.Globalization.CultureInfo.InvariantCulture);
            scratch.GetStringBuilder().Clear();
            formatter.Format(logEvent, scratch);
            lock (_lock)
            {
                _out.Write(scratch.GetStringBuilder());
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _out.Dispose();
            }
        }
    }
}

/// <summary>
/// Formatting one request line only, from a ready LogEvent (the properties the pipeline produces, SourceContext
/// included), into a reused buffer: where the formatter's share of the cost goes.
/// </summary>
[MemoryDiagnoser]
public class RequestLogFormatBenchmarks : IDisposable
{
    private readonly StringWriter _text = new(new StringBuilder(1024), System.Globalization.CultureInfo.InvariantCulture);
    private readonly System.Buffers.ArrayBufferWriter<byte> _bytes = new(1024);
    private readonly RenderedCompactJsonFormatter _rendered = new();
    private readonly CompactJsonFormatter _compact = new();
    private LogEvent _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var activity = new Activity("bench").SetIdFormat(ActivityIdFormat.W3C).Start();
        _event = new LogEvent(
            DateTimeOffset.Now,
            LogEventLevel.Information,
            null,
            RequestLogLine.Template,
            [
                new LogEventProperty("Model", new ScalarValue("iris")),
                new LogEventProperty("ModelVersion", new ScalarValue("1")),
                new LogEventProperty("TraceId", new ScalarValue(activity.TraceId.ToHexString())),
                new LogEventProperty("RequestMethod", new ScalarValue("POST")),
                new LogEventProperty("RequestPath", new ScalarValue("/v2/models/iris/versions/1/infer")),
                new LogEventProperty("StatusCode", new ScalarValue(200)),
                new LogEventProperty("Elapsed", new ScalarValue(0.123457)), // whole nanoseconds, as the middleware measures on Linux
                new LogEventProperty("SourceContext", new ScalarValue(RequestLogMiddleware.SourceContext)),
            ],
            activity.TraceId,
            activity.SpanId);
    }

    public void Dispose()
    {
        _text.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "RenderedCompactJsonFormatter → StringWriter")]
    public int Rendered()
    {
        _text.GetStringBuilder().Clear();
        _rendered.Format(_event, _text);
        return _text.GetStringBuilder().Length;
    }

    [Benchmark(Description = "RenderedCompactJsonFormatter → StringWriter → UTF-8 bytes")]
    public int RenderedEncoded()
    {
        _text.GetStringBuilder().Clear();
        _rendered.Format(_event, _text);
        _bytes.ResetWrittenCount();
        foreach (var chunk in _text.GetStringBuilder().GetChunks())
        {
            _bytes.Advance(Encoding.UTF8.GetBytes(chunk.Span, _bytes.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length))));
        }

        return _bytes.WrittenCount;
    }

    [Benchmark(Description = "CompactJsonFormatter → StringWriter")]
    public int Compact()
    {
        _text.GetStringBuilder().Clear();
        _compact.Format(_event, _text);
        return _text.GetStringBuilder().Length;
    }

    [Benchmark(Description = "RequestLogLine.TryWrite → UTF-8 bytes")]
    public int Direct()
    {
        _bytes.ResetWrittenCount();
        RequestLogLine.TryWrite(_event, _bytes);
        return _bytes.WrittenCount;
    }
}

/// <summary>The pieces of one request line, one at a time: what the line's ~2 µs is made of.</summary>
[MemoryDiagnoser]
public class RequestLogPartsBenchmarks
{
    private readonly byte[] _utf8 = new byte[128];
    private readonly char[] _chars = new char[128];
    private readonly double _elapsed = 0.123456789;
    private readonly double _elapsedWholeNanoseconds = 0.123457;
    private readonly Logger _logger = new LoggerConfiguration().MinimumLevel.Information().Enrich.FromLogContext()
        .WriteTo.Sink(new NullSink()).CreateLogger().ForContext(Constants.SourceContextPropertyName, RequestLogMiddleware.SourceContext) as Logger ?? throw new InvalidOperationException();
    private DiagnosticContext _diagnostics = null!;
    private Activity _activity = null!;
    private LogEvent _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        _activity = new Activity("bench").SetIdFormat(ActivityIdFormat.W3C).Start();
        _diagnostics = new DiagnosticContext(_logger);
        _event = NewEvent();
    }

    [GlobalCleanup]
    public void Cleanup() => _activity.Dispose();

    [Benchmark(Description = "DateTimeOffset.Now")]
    public DateTimeOffset Now() => DateTimeOffset.Now;

    [Benchmark(Description = "DateTimeOffset.UtcNow")]
    public DateTimeOffset UtcNow() => DateTimeOffset.UtcNow;

    [Benchmark(Description = "timestamp: UtcDateTime, format \"O\" (UTF-8)")]
    public int TimestampO()
    {
        _event.Timestamp.UtcDateTime.TryFormat(_utf8, out var n, "O", System.Globalization.CultureInfo.InvariantCulture);
        return n;
    }

    [Benchmark(Description = "Elapsed, format \"0.000\" (message)")]
    public int ElapsedFixed()
    {
        _elapsed.TryFormat(_chars, out var n, "0.000", System.Globalization.CultureInfo.InvariantCulture);
        return n;
    }

    [Benchmark(Description = "Elapsed \"0.000\", whole nanoseconds (the line's integer path)")]
    public int ElapsedWholeNanoseconds()
    {
        var n = 0;
        return RequestLogLine.TryWriteWholeNanoseconds(_utf8, ref n, _elapsedWholeNanoseconds) ? n : -1;
    }

    [Benchmark(Description = "Elapsed, format \"R\" (JSON value)")]
    public int ElapsedR()
    {
        _elapsed.TryFormat(_utf8, out var n, "R", System.Globalization.CultureInfo.InvariantCulture);
        return n;
    }

    [Benchmark(Description = "TraceId.ToHexString()")]
    public string TraceIdHex() => _activity.TraceId.ToHexString();

    [Benchmark(Description = "DiagnosticContext: begin, 3 x Set, complete")]
    public int DiagnosticContextCollect()
    {
        using var collector = _diagnostics.BeginCollection();
        _diagnostics.Set("Model", "iris");
        _diagnostics.Set("ModelVersion", "1");
        _diagnostics.Set("TraceId", "0123456789abcdef0123456789abcdef");
        collector.TryComplete(out var properties, out _);
        return properties is null ? 0 : 1;
    }

    [Benchmark(Description = "new LogEvent: 7 LogEventProperty + ScalarValues")]
    public LogEvent NewLogEvent() => NewEvent();

    [Benchmark(Description = "Logger.Write (SourceContext + LogContext enrichers, null sink)")]
    public void Write() => _logger.Write(NewEvent());

    private LogEvent NewEvent() => new(
        DateTimeOffset.UtcNow,
        LogEventLevel.Information,
        null,
        RequestLogLine.Template,
        [
            new LogEventProperty("Model", new ScalarValue("iris")),
            new LogEventProperty("ModelVersion", new ScalarValue("1")),
            new LogEventProperty("TraceId", new ScalarValue("0123456789abcdef0123456789abcdef")),
            new LogEventProperty("RequestMethod", new ScalarValue("POST")),
            new LogEventProperty("RequestPath", new ScalarValue("/v2/models/iris/versions/1/infer")),
            new LogEventProperty("StatusCode", new ScalarValue(200)),
            new LogEventProperty("Elapsed", new ScalarValue(_elapsed)),
        ],
        _activity.TraceId,
        _activity.SpanId);

    private sealed class NullSink : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
        }
    }
}
