using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AiServe.Core.Inference;
using AiServe.Server.Hosting;
using AiServe.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiServe.Server.Tests.Hosting;

public sealed class DrainTests : IDisposable
{
    private const string Request = """{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}""";

    private readonly TempModelRepository _repo = new();
    private readonly FakeModelBackend _backend = new();
    private readonly ManualResetEventSlim _gate = new(false);

    public void Dispose()
    {
        _gate.Set();
        _gate.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Stop_WithRequestInFlight_NotReadyAtOnceThenRefusesNewAndFinishesInFlight()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Root, "slow", "1"));
        File.WriteAllText(Path.Combine(_repo.Root, "slow", "1", "model.onnx"), "ok");
        _repo.WriteConfig("slow", """{"max_batch_size": 4}""");
        using var factory = new AiServeFactory(_repo.Root, services: s => s.AddSingleton<IModelBackend>(_backend));
        var client = await factory.StartAsync();
        _backend.Loaded.ForEach(i => i.Gate = _gate);
        var inFlight = V2Http.PostJsonAsync(client, "/v2/models/slow/infer", Request);
        Assert.True(await Eventually.TrueAsync(() => factory.Manager.InFlight == 1));
        var drain = factory.Services.GetServices<IHostedService>().OfType<DrainService>().Single();
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AiServeOptions>>().Value;
        options.Shutdown.DrainDelaySeconds = 0.2;

        var stopping = drain.StoppingAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await V2Http.GetAsync(client, "/v2/health/ready")).Status);
        using (var duringDrain = await client.GetAsync("/v2/models/slow"))
        {
            // Served, on a connection the client is told to close.
            Assert.Equal(HttpStatusCode.OK, duringDrain.StatusCode);
            Assert.True(duringDrain.Headers.ConnectionClose);
        }

        Assert.Equal("draining", (await V2Http.GetAsync(client, "/health/ready")).Body.GetProperty("status").GetString());
        Assert.True(await Eventually.TrueAsync(() => factory.Manager.IsReady == false));
        // Until the drain delay ends, a request is still taken (this one is invalid: 400); afterwards it is refused.
        var refused = HttpStatusCode.BadRequest;
        for (var i = 0; i < 400 && refused == HttpStatusCode.BadRequest; i++)
        {
            await Task.Delay(5);
            refused = (await V2Http.PostJsonAsync(client, "/v2/models/slow/infer", """{"inputs": []}""")).Status;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        Assert.False(stopping.IsCompleted);
        _gate.Set();
        var (status, _) = await inFlight;
        await stopping;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, factory.Manager.InFlight);
    }

    [Fact]
    public async Task Sigterm_RealProcess_ServesThroughTheDrainDelayThenExitsWithCodeZero()
    {
        var port = FreePort();
        var exe = Path.Combine(AppContext.BaseDirectory, "AiServe.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                exe, "--urls", $"http://127.0.0.1:{port}", "--models", TestPaths.DatatypesRepo,
                "--AiServe:Shutdown:DrainDelaySeconds", "2", "--AiServe:Repository:PollIntervalSeconds", "0",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var ready = false;
            for (var i = 0; i < 600 && !ready && !process.HasExited; i++)
            {
                await Task.Delay(100);
                try
                {
                    ready = (await client.GetAsync("/v2/health/ready")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
            }

            Assert.True(ready, "the server did not become ready: " + output);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            // During the drain delay the port stays open: readiness answers 503 and requests are still served.
            var readiness = await client.GetAsync("/v2/health/ready");
            for (var i = 0; i < 100 && readiness.StatusCode == HttpStatusCode.OK; i++)
            {
                await Task.Delay(10);
                readiness = await client.GetAsync("/v2/health/ready");
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/identity")).StatusCode);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {output}");
            Assert.Contains("Shutting down: readiness is now 503", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
