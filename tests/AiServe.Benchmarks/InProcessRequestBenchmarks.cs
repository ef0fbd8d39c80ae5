using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using AiServe.Client;
using AiServe.Server.Hosting;
using AiServe.Server.Telemetry;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AiServe.Benchmarks;

/// <summary>
/// One whole infer request through the server's pipeline in memory (ASP.NET Core's test server: no sockets, no
/// kernel): AiServe in Production (the request log line written to a null stream, the scheduler, ONNX Runtime, the
/// response) against the bare-Kestrel ceiling's app on the same in-memory server, with the same body. Where the
/// HTTP sweep measures the machine (the kernel's TCP stack and the load generator share the 2 cores), this measures
/// what each server's own code costs per request.
/// </summary>
[MemoryDiagnoser]
public class InProcessRequestBenchmarks
{
    // Any type of the server assembly names it; its Program type clashes with this project's.
    private WebApplicationFactory<ModelRepositoryService> _aiserve = null!;
    private WebApplication _ceiling = null!;
    private HttpClient _aiserveClient = null!;
    private HttpClient _ceilingClient = null!;
    private TestServer _aiserveServer = null!;
    private TestServer _ceilingServer = null!;
    private EncodedInferRequest _json = null!;
    private EncodedInferRequest _binary = null!;
    private string _path = "";

    [Params("iris-b1", "fashion-mnist-b8")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (var model, _, _json, _binary) = Bodies.Encoded(Case);
        _path = $"/v2/models/{model}/infer";
        var models = Path.Combine(RepoPaths.Root, "models");

        _aiserve = new WebApplicationFactory<ModelRepositoryService>().WithWebHostBuilder(web =>
        {
            web.UseContentRoot(Path.Combine(RepoPaths.Root, "src", "AiServe.Server"));
            web.UseEnvironment("Production");
            web.UseSetting("AiServe:Repository:Path", models);
            web.UseSetting("AiServe:Repository:PollIntervalSeconds", "0");
            web.UseSetting("AiServe:Shutdown:DrainDelaySeconds", "0");
            web.ConfigureTestServices(s => s.AddSingleton(new LogOutput(Stream.Null)));
        });
        _aiserveClient = _aiserve.CreateClient();
        WaitReady(_aiserveClient);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        _ceiling = HttpCeiling.Build(builder, [models]);
        _ceiling.StartAsync().GetAwaiter().GetResult();
        _ceilingClient = _ceiling.GetTestClient();
        WaitReady(_ceilingClient);
        _aiserveServer = _aiserve.Server;
        _ceilingServer = _ceiling.GetTestServer();

        // Both must answer 200 to the bodies measured.
        Post(_aiserveClient, _json).GetAwaiter().GetResult();
        Post(_aiserveClient, _binary).GetAwaiter().GetResult();
        Post(_ceilingClient, _json).GetAwaiter().GetResult();
        Send(_aiserveServer, _json).GetAwaiter().GetResult();
        Send(_ceilingServer, _json).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aiserveClient.Dispose();
        _ceilingClient.Dispose();
        _aiserve.Dispose();
        _ceiling.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_ceiling).Dispose();
    }

    [Benchmark(Baseline = true, Description = "ceiling: JSON body into DTOs, fixed answer")]
    public Task<int> Ceiling() => Post(_ceilingClient, _json);

    [Benchmark(Description = "AiServe: JSON")]
    public Task<int> AiServeJson() => Post(_aiserveClient, _json);

    [Benchmark(Description = "AiServe: binary extension")]
    public Task<int> AiServeBinary() => Post(_aiserveClient, _binary);

    // Without HttpClient and its message handler: the HttpContext goes straight into the server's pipeline
    // (TestServer.SendAsync), so less of the time is the test host's and more the server's own.
    [Benchmark(Description = "ceiling, context straight into the pipeline")]
    public Task<int> CeilingPipeline() => Send(_ceilingServer, _json);

    [Benchmark(Description = "AiServe: JSON, context straight into the pipeline")]
    public Task<int> AiServeJsonPipeline() => Send(_aiserveServer, _json);

    private async Task<int> Send(TestServer server, EncodedInferRequest body)
    {
        var context = await server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Post;
            c.Request.Path = _path;
            c.Request.ContentType = "application/json";
            c.Request.ContentLength = body.Body.Length;
            c.Request.Body = MemoryMarshal.TryGetArray(body.Body, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(body.Body.ToArray(), writable: false);
        });
        return context.Response.StatusCode == StatusCodes.Status200OK
            ? context.Response.StatusCode
            : throw new InvalidOperationException($"{_path} answered {context.Response.StatusCode}");
    }

    private static void WaitReady(HttpClient client)
    {
        for (var i = 0; i < 600; i++)
        {
            using var response = client.GetAsync("/v2/health/ready").GetAwaiter().GetResult();
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new InvalidOperationException("the server did not become ready");
    }

    private async Task<int> Post(HttpClient client, EncodedInferRequest body)
    {
        using var content = new ReadOnlyMemoryContent(body.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue(body.HeaderLength is null ? "application/json" : "application/octet-stream");
        if (body.HeaderLength is { } header)
        {
            content.Headers.Add("Inference-Header-Content-Length", header.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await client.PostAsync(_path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode
            ? bytes.Length
            : throw new InvalidOperationException($"{_path} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
    }
}
