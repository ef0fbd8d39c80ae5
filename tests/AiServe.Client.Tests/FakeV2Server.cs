using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiServe.Client.Tests;

/// <summary>
/// A tiny V2 server on 127.0.0.1 (port chosen by the OS) with known answers:
/// model "echo" returns each input as an output of the same name (JSON data as JSON, binary data as binary);
/// model "capture" is ready, has <see cref="CannedMetadata"/>, records the request and answers with
/// <see cref="CannedBody"/>; "loading" is not ready;
/// "broken" fails with a plain-text 500; any other model is a 404 with <c>{"error": ...}</c>.
/// </summary>
public sealed class FakeV2Server : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeV2Server(WebApplication app, Uri root)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = root };
        Client = new V2Client(Http);
    }

    public HttpClient Http { get; }

    public V2Client Client { get; }

    /// <summary>The last request the "capture" model received: body, Inference-Header-Content-Length, content type.</summary>
    public (byte[] Body, string? HeaderLength, string? ContentType)? Captured { get; private set; }

    /// <summary>How long every infer request waits before it is answered (a slow model).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>What the "capture" model answers: body and, for binary, the JSON part's length.</summary>
    public (byte[] Body, int? HeaderLength) CannedBody { get; set; } =
        ("""{"model_name":"capture","outputs":[]}"""u8.ToArray(), null);

    /// <summary>What the "capture" model's metadata answers (200, JSON).</summary>
    public string CannedMetadata { get; set; } =
        """{"name":"capture","inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}],"outputs":[]}""";

    public static async Task<FakeV2Server> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeV2Server? server = null;

        app.MapGet("/v2", () => Results.Json(new { name = "fake", version = "0.1", extensions = new[] { "binary_tensor_data" } }));
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }));
        app.MapGet("/v2/health/ready", () => Results.Json(new { ready = false }, statusCode: 503));
        app.MapGet("/v2/models/{model}", (string model) => server!.Metadata(model));
        app.MapGet("/v2/models/{model}/versions/{version}", (string model) => server!.Metadata(model));
        app.MapGet("/v2/models/{model}/ready", (string model) => Ready(model));
        app.MapGet("/v2/models/{model}/versions/{version}/ready", (string model) => Ready(model));
        app.MapPost("/v2/models/{model}/infer", (HttpContext http, string model) => server!.InferAsync(http, model, null));
        app.MapPost("/v2/models/{model}/versions/{version}/infer", (HttpContext http, string model, string version) => server!.InferAsync(http, model, version));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server = new FakeV2Server(app, new Uri(address + "/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private IResult Metadata(string model) => model switch
    {
        "echo" => Results.Json(new
        {
            name = "echo",
            versions = new[] { "1" },
            platform = "fake",
            inputs = new[] { new { name = "x", datatype = "FP32", shape = new long[] { -1, 4 } } },
            outputs = new[] { new { name = "x", datatype = "FP32", shape = new long[] { -1, 4 } } },
        }),
        "capture" => Results.Text(CannedMetadata, "application/json"),
        _ => Results.Json(new { error = $"unknown model '{model}'" }, statusCode: 404),
    };

    private static IResult Ready(string model) => model switch
    {
        "echo" or "capture" => Results.Json(new { name = model, ready = true }),
        "loading" => Results.Json(new { name = model, ready = false }, statusCode: 503),
        _ => Results.Json(new { error = $"unknown model '{model}'" }, statusCode: 404),
    };

    private async Task InferAsync(HttpContext http, string model, string? version)
    {
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, http.RequestAborted);
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var headerLength = http.Request.Headers["Inference-Header-Content-Length"].FirstOrDefault();
        switch (model)
        {
            case "echo":
                await EchoAsync(http, body, headerLength is null ? body.Length : int.Parse(headerLength, System.Globalization.CultureInfo.InvariantCulture), version);
                return;
            case "capture":
                Captured = (body, headerLength, http.Request.ContentType);
                if (CannedBody.HeaderLength is { } length)
                {
                    http.Response.Headers["Inference-Header-Content-Length"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    http.Response.ContentType = "application/octet-stream";
                }
                else
                {
                    http.Response.ContentType = "application/json";
                }

                await http.Response.Body.WriteAsync(CannedBody.Body);
                return;
            case "broken":
                http.Response.StatusCode = 500;
                http.Response.ContentType = "text/plain";
                await http.Response.WriteAsync("upstream exploded");
                return;
            default:
                http.Response.StatusCode = 404;
                await http.Response.WriteAsJsonAsync(new { error = $"unknown model '{model}'" });
                return;
        }
    }

    // Echo: each input comes back as an output of the same name, datatype and shape, in the same form (JSON data
    // copied as JSON, binary bytes copied as binary), so that a round trip tests the client's encoder and decoder.
    private static async Task EchoAsync(HttpContext http, byte[] body, int headerLength, string? version)
    {
        var request = JsonNode.Parse(body.AsSpan(0, headerLength))!.AsObject();
        var binary = body.AsMemory(headerLength);
        var outputs = new JsonArray();
        var binaryOut = new MemoryStream();
        var offset = 0;
        foreach (var input in request["inputs"]!.AsArray())
        {
            var output = new JsonObject
            {
                ["name"] = input!["name"]!.GetValue<string>(),
                ["datatype"] = input["datatype"]!.GetValue<string>(),
                ["shape"] = input["shape"]!.DeepClone(),
            };
            if (input["parameters"]?["binary_data_size"] is { } sizeNode)
            {
                var size = sizeNode.GetValue<int>();
                binaryOut.Write(binary.Span.Slice(offset, size));
                offset += size;
                output["parameters"] = new JsonObject { ["binary_data_size"] = size };
            }
            else
            {
                output["data"] = input["data"]!.DeepClone();
            }

            outputs.Add(output);
        }

        var response = new JsonObject { ["model_name"] = "echo", ["model_version"] = version ?? "1", ["outputs"] = outputs };
        if (request["id"] is { } id)
        {
            response["id"] = id.DeepClone();
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(response);
        if (binaryOut.Length > 0)
        {
            http.Response.Headers["Inference-Header-Content-Length"] = json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        http.Response.ContentType = binaryOut.Length > 0 ? "application/octet-stream" : "application/json";
        await http.Response.Body.WriteAsync(json);
        await http.Response.Body.WriteAsync(binaryOut.ToArray());
    }
}
