using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace AiServe.Server.Telemetry;

/// <summary>
/// Serilog: JSON lines on stdout in Production, readable text elsewhere; one line per request with method, path,
/// status, elapsed time, model, version and trace id. Bodies (tensors) are never logged.
/// </summary>
internal static class LoggingExtensions
{
    public static WebApplicationBuilder AddAiServeLogging(this WebApplicationBuilder builder)
    {
        var production = builder.Environment.IsProduction();

        // Production logs one JSON line per request: buffer standard output rather than flush every line. The
        // container owns (and on shutdown disposes, which flushes) the sink. Tests may send it to another stream.
        if (production)
        {
            builder.Services.AddSingleton(services =>
            {
                var formatter = new RenderedCompactJsonFormatter();
                var interval = TimeSpan.FromMilliseconds(250);
                return services.GetService<LogOutput>() is { } output
                    ? new BufferedConsoleSink(formatter, output.Stream, TimeProvider.System, interval)
                    : new BufferedConsoleSink(formatter, TimeProvider.System, interval);
            });
        }

        // preserveStaticLogger: each host logs through its own pipeline from DI, never through the process-wide
        // static Log.Logger, so that several hosts in one process (tests) cannot steal each other's events.
        builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) =>
        {
            // ASP.NET Core's hosting logger, whenever it can log at all, makes an Activity and a log scope for every
            // request (2-5 % of iris's throughput: docs/PERFORMANCE.md, fifteenth session). What it logs is its
            // "Request starting/finished" lines (Information, below the Warning that Microsoft.AspNetCore logs at) and
            // a start-up exception, which still ends the process and reaches standard error (StartupFailure's one line,
            // or the runtime's trace). So it is off unless configuration turns
            // it on (Serilog:MinimumLevel:Override:Microsoft.AspNetCore.Hosting.Diagnostics, read after this); the
            // request line carries the trace, request and connection ids itself. An ActivityListener (tracing) still
            // gets its Activity per request.
            logger
                .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off)
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Filter.ByExcluding(IsDrainOfACutOffBody)
                .Enrich.FromLogContext();
            if (production)
            {
                logger.WriteTo.Sink(services.GetRequiredService<BufferedConsoleSink>());
            }
            else
            {
                logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }

    /// <summary>
    /// Kestrel's error "automatic draining of the request body failed because the body reader is in an invalid state"
    /// (event 67): it follows every request whose body read AiServe cut off at the request's deadline (the read is
    /// cancelled mid-way, the answer is a 504 with <c>Connection: close</c>, and the connection closes as it should).
    /// It is a client's timeout, not a server error, so it is not logged. The filter drops every event 67, not only
    /// those after a cut-off (the event does not say which request it follows); Kestrel logs it for a body reader left
    /// in an invalid state, which AiServe's own reads leave only when they are cancelled.
    /// </summary>
    internal static bool IsDrainOfACutOffBody(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: "Microsoft.AspNetCore.Server.Kestrel" }
        && logEvent.Properties.TryGetValue("EventId", out var id) && id is StructureValue eventId
        && eventId.Properties.Any(p => p.Name == "Id" && p.Value is ScalarValue { Value: 67 });

    /// <summary>
    /// One line per request (<see cref="RequestLogMiddleware"/>): the line Serilog's request logging wrote, without
    /// its per-request diagnostic context.
    /// </summary>
    public static IApplicationBuilder UseAiServeRequestLogging(this IApplicationBuilder app) =>
        app.UseMiddleware<RequestLogMiddleware>(app.ApplicationServices.GetRequiredService<Serilog.ILogger>());
}

/// <summary>Where the Production log goes instead of standard output (tests); the registrant owns the stream.</summary>
internal sealed class LogOutput(Stream stream)
{
    public Stream Stream { get; } = stream;
}
