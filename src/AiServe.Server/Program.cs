using AiServe.Server.Api;
using AiServe.Server.Hosting;
using AiServe.Server.OpenApi;
using AiServe.Server.Protocols.OpenInference;
using AiServe.Server.Protocols.TfServing;
using AiServe.Server.Telemetry;

// A setting out of range stops the start (checked when the host builds or starts): say which and exit 1, rather than
// abort on the unhandled exception (exit code 134, and a core dump where those are on). Test hosts catch it themselves.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    if (e.ExceptionObject is Microsoft.Extensions.Options.OptionsValidationException ex)
    {
        Console.Error.WriteLine($"AiServe cannot start: {ex.Message}");
        Environment.Exit(1);
    }
};

var builder = WebApplication.CreateBuilder(args);

// Configure the command line: --models DIR is short for --AiServe:Repository:Path DIR
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--models"] = "AiServe:Repository:Path" });

// Configure Kestrel: port 8080 unless URLs are configured; body limit from AiServe:Limits
builder.AddAiServeKestrel();

// Configure logging (Serilog)
builder.AddAiServeLogging();

// Configure JSON answers: plain JSON APIs, so no HTML-safe escaping of quotes and ampersands
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

// Configure the model repository, lifecycle and ONNX Runtime backend
builder.Services.AddModelServing();

// Configure request decompression: Triton clients may send gzip or deflate bodies (Content-Encoding)
builder.Services.AddRequestDecompression();

// Configure OpenAPI and Swagger UI
builder.Services.AddAiServeOpenApi();

var app = builder.Build();

app.UseAiServeRequestLogging();
app.UseAiServeErrorBodies();
app.UseDrainConnectionClose();
app.UseRequestDecompression();
app.UseAiServeOpenApi();

app.MapHealth();
app.MapOpenInference();
app.MapTfServing();

app.Run();

/// <summary>The entry point; public so that tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
