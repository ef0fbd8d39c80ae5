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

    /// <summary>The server over a small repository with one setting given.</summary>
    private static WebApplicationFactory<Program> ServerWith(string key, string value) =>
        new AiServeFactory(TestPaths.DatatypesRepo).WithWebHostBuilder(web => web.UseSetting(key, value));
}
