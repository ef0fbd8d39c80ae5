using System.Diagnostics;
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
    private const string RequestTemplate =
        "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms (model {Model}, version {ModelVersion}, trace {TraceId})";

    public static WebApplicationBuilder AddAiServeLogging(this WebApplicationBuilder builder)
    {
        var production = builder.Environment.IsProduction();

        // Production logs one JSON line per request: buffer standard output rather than flush every line. The
        // container owns (and on shutdown disposes, which flushes) the writer.
        var stdout = production ? new BufferedConsoleSink(new RenderedCompactJsonFormatter(), TimeProvider.System, TimeSpan.FromMilliseconds(250)) : null;
        if (stdout is not null)
        {
            builder.Services.AddSingleton(_ => stdout);
        }

        // preserveStaticLogger: each host logs through its own pipeline from DI, never through the process-wide
        // static Log.Logger, so that several hosts in one process (tests) cannot steal each other's events.
        builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) =>
        {
            logger
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (production)
            {
                logger.WriteTo.Sink(stdout!);
            }
            else
            {
                logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }

    public static IApplicationBuilder UseAiServeRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            options.MessageTemplate = RequestTemplate;
            options.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                diagnostics.Set("Model", RequestLogContext.Model(http) ?? "-");
                diagnostics.Set("ModelVersion", RequestLogContext.Version(http) ?? "-");
                diagnostics.Set("TraceId", Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
            };
        });
}
