using AiServe.Server.Api;
using AiServe.Server.Hosting;
using AiServe.Server.OpenApi;
using AiServe.Server.Protocols.OpenInference;
using AiServe.Server.Protocols.TfServing;
using AiServe.Server.Telemetry;

// Settings out of range: one line naming each and exit code 1
StartupFailure.ExitWithOneLine();

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
