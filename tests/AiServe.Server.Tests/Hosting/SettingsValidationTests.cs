using AiServe.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AiServe.Server.Tests.Hosting;

/// <summary>Out-of-range server settings stop the server at start with a message that names them, instead of failing later (a negative drain delay used to throw only at SIGTERM).</summary>
public class SettingsValidationTests
{
    [Theory]
    [InlineData("AiServe:Shutdown:DrainDelaySeconds", "-5")]
    [InlineData("AiServe:Shutdown:DrainDelaySeconds", "NaN")]
    [InlineData("AiServe:Shutdown:DrainTimeoutSeconds", "4000")]
    [InlineData("AiServe:Repository:PollIntervalSeconds", "-3")]
    [InlineData("AiServe:Repository:PollIntervalSeconds", "0.0005")]
    [InlineData("AiServe:Limits:MaxRequestBodyBytes", "5")]
    [InlineData("AiServe:Onnx:GlobalIntraOpThreads", "-1")]
    public void Start_SettingOutOfRange_FailsNamingTheSetting(string key, string value)
    {
        using var factory = ServerWith(key, value);
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient()).ToString();
        Assert.Contains(key, error);
        Assert.Contains("must be", error);
    }

    [Theory]
    [InlineData("AiServe:Shutdown:DrainDelaySeconds", "0")]
    [InlineData("AiServe:Shutdown:DrainTimeoutSeconds", "3600")]
    [InlineData("AiServe:Repository:PollIntervalSeconds", "0")]
    [InlineData("AiServe:Repository:PollIntervalSeconds", "0.001")]
    [InlineData("AiServe:Limits:MaxRequestBodyBytes", "1024")]
    [InlineData("AiServe:Onnx:GlobalIntraOpThreads", "0")]
    public async Task Start_SettingAtItsBound_Serves(string key, string value)
    {
        using var factory = ServerWith(key, value);
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/v2/health/live");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("AiServe:Shutdown:DrainDelaySeconds", "-5")] // checked when the host is built
    [InlineData("AiServe:Onnx:GlobalIntraOpThreads", "-1")] // checked when it starts
    public async Task Start_RealProcessSettingOutOfRange_ExitsWithCodeOneNamingIt(string key, string value)
    {
        var (exitCode, error) = await RunServerProcessAsync("--urls", "http://127.0.0.1:0", "--models", TestPaths.DatatypesRepo, $"--{key}", value);

        Assert.Equal(1, exitCode); // not 134, an abort on the unhandled exception
        Assert.Contains($"AiServe cannot start: ", error, StringComparison.Ordinal);
        Assert.Contains(key, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RealProcessOnAnAddressAlreadyInUse_ExitsWithCodeOneNamingTheAddress()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (exitCode, error) = await RunServerProcessAsync("--urls", url, "--models", TestPaths.DatatypesRepo);

        Assert.Equal(1, exitCode); // not 134, an abort on the unhandled exception with its stack trace
        Assert.Equal($"AiServe cannot start: Failed to bind to address {url}: address already in use.", error.Trim());
    }

    private static async Task<(int ExitCode, string Error)> RunServerProcessAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AiServe.Server.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await output;
        return (process.ExitCode, error);
    }

    /// <summary>The server over a small repository with one setting given.</summary>
    private static WebApplicationFactory<Program> ServerWith(string key, string value) =>
        new AiServeFactory(TestPaths.DatatypesRepo).WithWebHostBuilder(web => web.UseSetting(key, value));
}
