using AiServe.Server.Hosting;
using AiServe.Tests.Common;
using Microsoft.AspNetCore.Hosting;

namespace AiServe.Server.Tests.Hosting;

/// <summary>AiServe:ThreadPool:MinWorkerThreads: spare pool threads for the model runs that hold one each.</summary>
public class ThreadPoolTests
{
    [Theory]
    [InlineData(null, 2, 8)]
    [InlineData("", 3, 12)]
    [InlineData(" ", 1, 4)]
    [InlineData("12", 2, 12)]
    [InlineData("1", 16, 1)]
    [InlineData("32767", 2, 32767)]
    public void MinWorkerThreads_AbsentIsFourPerCore_OtherwiseTheValue(string? configured, int cores, int expected)
    {
        Assert.Equal(expected, ThreadPoolExtensions.MinWorkerThreads(configured, cores));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("32768")]
    [InlineData("1.5")]
    [InlineData("eight")]
    public void MinWorkerThreads_NotAThreadCount_ErrorNamesTheSettingAndValue(string configured)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ThreadPoolExtensions.MinWorkerThreads(configured, 2));
        Assert.Contains("AiServe:ThreadPool:MinWorkerThreads", error.Message);
        Assert.Contains($"'{configured}'", error.Message);
    }

    [Fact]
    public async Task Startup_RaisesThePoolsMinimumToTheSetting()
    {
        // 61: more than any other test or the runtime asks for on a test machine, so only this server's start raises it.
        using var factory = new AiServeFactory(TestPaths.DatatypesRepo)
            .WithWebHostBuilder(web => web.UseSetting(ThreadPoolExtensions.MinWorkerThreadsKey, "61"));
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/v2/health/live");

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= 61, $"the pool's minimum is {workers} worker threads");
    }

    [Fact]
    public void Startup_BadSetting_FailsWithTheSettingsName()
    {
        using var factory = new AiServeFactory(TestPaths.DatatypesRepo)
            .WithWebHostBuilder(web => web.UseSetting(ThreadPoolExtensions.MinWorkerThreadsKey, "lots"));
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("AiServe:ThreadPool:MinWorkerThreads must be a whole number", error.ToString());
    }
}
