using System.Globalization;
using System.Text.Json;
using AiServe.Core.Repository;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiServe.Benchmarks;

/// <summary>
/// The HTTP ceiling yardstick: a bare Kestrel endpoint that does only what any V2 server must: read the whole JSON
/// infer body into DTOs with System.Text.Json, then answer a fixed V2 response, made once and kept as bytes, shaped
/// like the model's real answer to that body (each of its outputs, or those the body asks for, with the body's rows),
/// so that the load generator reads as many bytes from the ceiling as from a server that runs the model. No model, no
/// queue, no logging, no telemetry. It answers GET /v2, /v2/health/ready,
/// /v2/models/{m} and /v2/models/{m}/ready like AiServe, from the models' model.json, so aiserve-bench drives it
/// unchanged with the same bodies.
/// With <c>--run-models true</c> (or <c>AISERVE_CEILING_RUN_MODELS=1</c> in its environment) it also runs each model
/// (<see cref="CeilingModelRunner"/>) and answers the real outputs instead of the fixed ones: the yardstick of a
/// minimal wrapper around ONNX Runtime, for comparisons where the model's run should be on both sides.
/// <code>dotnet run -c Release --project tests/AiServe.Benchmarks -- ceiling --urls http://127.0.0.1:8090 [--models DIR ...] [--run-models true]</code>
/// </summary>
internal static class HttpCeiling
{
    public static async Task<int> RunAsync(string[] args)
    {
        var urls = "http://127.0.0.1:8090";
        var folders = new List<string>();
        var runModels = Environment.GetEnvironmentVariable("AISERVE_CEILING_RUN_MODELS") is "1" or "true";
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--urls": urls = args[i + 1]; break;
                case "--models": folders.Add(args[i + 1]); break;
                case "--run-models": runModels = bool.Parse(args[i + 1]); break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option '{args[i]}'; use --urls URL [--models DIR ...] [--run-models true]");
                    return 2;
            }
        }

        if (folders.Count == 0)
        {
            folders.Add(Path.Combine(RepoPaths.Root, "models"));
            folders.Add(Path.Combine(RepoPaths.Root, "tests", "fixtures", "repos", "perf"));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        var app = Build(builder, folders, runModels);
        Console.WriteLine($"ceiling: serving {string.Join(", ", folders)} on {urls}{(runModels ? ", running the models" : "")}");
        await app.RunAsync();
        return 0;
    }

    /// <summary>The ceiling's app on a builder (Kestrel, or an in-memory test server for the in-process benchmark).</summary>
    public static WebApplication Build(WebApplicationBuilder builder, IEnumerable<string> folders, bool runModels = false)
    {
        var models = LoadModels(folders, runModels);
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, V2DtoJsonContext.Default));
        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            foreach (var model in models.Values)
            {
                model.Runner?.Dispose();
            }
        });

        app.MapGet("/v2", () => new V2ServerMetadataDto("ceiling", "1", ["binary_tensor_data", "schedule_policy"]));
        app.MapGet("/v2/health/ready", () => new V2ReadyDto(true));
        app.MapGet("/v2/models/{model}", (string model) => models.TryGetValue(model, out var m)
            ? Results.Json(m.Metadata, V2DtoJsonContext.Default.V2ModelMetadataDto)
            : NotFound(model));
        app.MapGet("/v2/models/{model}/ready", (string model) => models.ContainsKey(model)
            ? Results.Json(new V2ModelReadyDto(model, true), V2DtoJsonContext.Default.V2ModelReadyDto)
            : NotFound(model));
        app.MapPost("/v2/models/{model}/infer", async (string model, HttpRequest request) =>
        {
            if (!models.TryGetValue(model, out var m))
            {
                return NotFound(model);
            }

            var body = await JsonSerializer.DeserializeAsync(request.Body, V2DtoJsonContext.Default.V2RequestDto, request.HttpContext.RequestAborted);
            if (body is null || body.Inputs.Count == 0 || body.Inputs[0].Data is null)
            {
                return Results.Json(new V2ErrorDto("the request has no 'inputs' with 'data'"), V2DtoJsonContext.Default.V2ErrorDto, statusCode: 400);
            }

            if (m.Runner is { } runner)
            {
                return runner.Run(body, out var error) is { } output
                    ? Results.Bytes(output, "application/json")
                    : Results.Json(new V2ErrorDto(error!), V2DtoJsonContext.Default.V2ErrorDto, statusCode: 400);
            }

            return m.AnswerTo(body) is { } answer
                ? Results.Bytes(answer, "application/json")
                : Results.Json(new V2ErrorDto("the request asks for an output the model does not have"), V2DtoJsonContext.Default.V2ErrorDto, statusCode: 400);
        });
        return app;
    }

    private static IResult NotFound(string model) =>
        Results.Json(new V2ErrorDto($"model '{model}' is not in the repository"), V2DtoJsonContext.Default.V2ErrorDto, statusCode: 404);

    private static Dictionary<string, CeilingModel> LoadModels(IEnumerable<string> folders, bool runModels)
    {
        var models = new Dictionary<string, CeilingModel>(StringComparer.Ordinal);
        foreach (var folder in folders.SelectMany(Directory.EnumerateDirectories))
        {
            var file = Path.Combine(folder, ModelConfigLoader.FileName);
            var name = Path.GetFileName(folder);
            if (!File.Exists(file))
            {
                continue;
            }

            var config = ModelConfigLoader.Parse(File.ReadAllText(file), name);
            if (config.Inputs is not { Count: > 0 } inputs || config.Outputs is not { Count: > 0 } outputs)
            {
                continue;
            }

            var available = Directory.EnumerateDirectories(folder)
                .Select(Path.GetFileName)
                .Select(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0)
                .Where(n => n > 0 && File.Exists(Path.Combine(folder, n.ToString(CultureInfo.InvariantCulture), "model.onnx")));
            var versions = VersionPolicy.Select(config.VersionPolicy, available).Order().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
            var metadata = new V2ModelMetadataDto(name, versions, "onnxruntime_onnx",
                inputs.Select(t => new V2TensorMetadataDto(t.Name, t.Datatype, t.Shape)).ToArray(),
                outputs.Select(t => new V2TensorMetadataDto(t.Name, t.Datatype, t.Shape)).ToArray());
            var runner = runModels ? new CeilingModelRunner(Path.Combine(folder, versions[^1], "model.onnx"), name, versions[^1]) : null;
            models[name] = new CeilingModel(metadata, name, versions[^1], outputs) { Runner = runner };
        }

        return models;
    }
}
