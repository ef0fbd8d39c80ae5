using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Serilog.Core;
using Serilog.Events;

namespace AiServe.Server.Telemetry;

/// <summary>
/// Writes the one log line per request: what Serilog's <c>UseSerilogRequestLogging</c> wrote (same message
/// template, same properties in the same order, same levels: Error for a 5xx or an exception, Information
/// otherwise, except a readiness check's 503, which is an answer, not a failure), without its per-request
/// diagnostic-context collector (an <c>AsyncLocal</c>, a dictionary and a lock
/// for three properties that AiServe already keeps on the <see cref="HttpContext"/>). It also writes the request and
/// connection ids that ASP.NET Core's hosting log scope added, which is off (<see cref="LoggingExtensions"/>), and
/// the request's trace and span ids whether or not ASP.NET Core made an Activity for it.
/// </summary>
internal sealed class RequestLogMiddleware
{
    /// <summary>
    /// The event's <c>SourceContext</c>: the name Serilog's middleware logged under, kept so that existing level
    /// overrides (<c>Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware</c>) keep working.
    /// </summary>
    public const string SourceContext = "Serilog.AspNetCore.RequestLoggingMiddleware";

    private static readonly ScalarValue Dash = new("-");
    private static readonly ScalarValue Status200 = new(200);

    private readonly RequestDelegate _next;
    private readonly Serilog.ILogger _logger;

    public RequestLogMiddleware(RequestDelegate next, Serilog.ILogger logger)
    {
        _next = next;
        _logger = logger.ForContext(Constants.SourceContextPropertyName, SourceContext);
    }

    public async Task InvokeAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await _next(http);
        }
        catch (Exception ex) when (Log(http, 500, start, ex))
        {
            // Never reached: Log returns false, so the exception goes on to the server (as with Serilog's middleware).
        }

        Log(http, http.Response.StatusCode, start, null);
    }

    private static bool IsReadinessCheck(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.Value is { } path && path.EndsWith("/ready", StringComparison.Ordinal);

    private bool Log(HttpContext http, int statusCode, long start, Exception? exception)
    {
        var elapsedMs = (Stopwatch.GetTimestamp() - start) * 1000 / (double)Stopwatch.Frequency;
        // A readiness check answering 503 (loading, draining, a model not ready) says what it was asked, not a failure.
        var level = exception is not null || (statusCode > 499 && !(statusCode == 503 && IsReadinessCheck(http.Request)))
            ? LogEventLevel.Error
            : LogEventLevel.Information;
        if (!_logger.IsEnabled(level))
        {
            return false;
        }

        // ASP.NET Core makes an Activity only while something listens for it (an ActivityListener such as OpenTelemetry's,
        // or a DiagnosticListener subscriber; its hosting logger, which would make one for every request, is off:
        // LoggingExtensions). Without one, the
        // line's trace is the one the request's traceparent header names, else a new one, as the Activity's would be.
        var activity = Activity.Current;
        var traceId = activity?.TraceId ?? TraceOf(http.Request); // the activity parses its hex id on every read: read once
        var spanId = activity?.SpanId ?? ActivitySpanId.CreateRandom();
        var model = RequestLogContext.Model(http);
        var version = RequestLogContext.Version(http);
        var path = http.Features.Get<IHttpRequestFeature>()?.Path;
        if (string.IsNullOrEmpty(path))
        {
            path = http.Request.Path.ToString();
        }

        // The order of Serilog's middleware: the enriched properties first, then the request's; then the request and
        // connection ids that ASP.NET Core's hosting log scope used to add. Room for the SourceContext the logger
        // adds, so that the dictionary does not grow (and copy itself) for it.
        var properties = new Dictionary<string, LogEventPropertyValue>(10)
        {
            [RequestLogLine.Model] = model is null ? Dash : new ScalarValue(model),
            [RequestLogLine.ModelVersion] = version is null ? Dash : new ScalarValue(version),
            [RequestLogLine.TraceId] = new ScalarValue(traceId.ToHexString()),
            [RequestLogLine.RequestMethod] = new ScalarValue(http.Request.Method),
            [RequestLogLine.RequestPath] = new ScalarValue(path),
            [RequestLogLine.StatusCode] = statusCode == 200 ? Status200 : new ScalarValue(statusCode),
            [RequestLogLine.Elapsed] = new ScalarValue(elapsedMs),
            [RequestLogLine.RequestId] = new ScalarValue(http.TraceIdentifier),
            [RequestLogLine.ConnectionId] = http.Connection.Id is { } connection ? new ScalarValue(connection) : Dash,
        };

        // UnstableAssembleFromParts takes the dictionary as it is (the constructor would copy LogEventProperty
        // objects into a new one); "unstable" is Serilog's warning that its signature may change between versions.
        _logger.Write(LogEvent.UnstableAssembleFromParts(
            DateTimeOffset.Now,
            level,
            exception,
            RequestLogLine.Template,
            properties,
            traceId,
            spanId));
        return false;
    }

    /// <summary>
    /// The trace a request without an Activity belongs to: the one its <c>traceparent</c> header names, read by the
    /// propagator ASP.NET Core itself uses (<see cref="DistributedContextPropagator.Current"/>), else a new one.
    /// </summary>
    private static ActivityTraceId TraceOf(HttpRequest request)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(request, ReadHeader, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, out var context) ? context.TraceId : ActivityTraceId.CreateRandom();
    }

    private static void ReadHeader(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        value = ((HttpRequest)carrier!).Headers[name];
    }
}
