using System.Net;
using AiServe.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiServe.Server.Tests.Protocols;

/// <summary>
/// The inference handlers take their services from the application, never from the request's service provider:
/// reaching for it makes ASP.NET Core create (and dispose) a service scope for every request. Here every request's
/// provider throws, so a handler that used it would answer 500.
/// </summary>
public sealed class InferenceServicesTests
{
    [Theory]
    [InlineData("/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""")]
    [InlineData("/v2/models/iris/versions/1/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""")]
    [InlineData("/v2/models/iris/labels/stable/infer", """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""")]
    [InlineData("/v1/models/iris:predict", """{"instances": [[5.1, 3.5, 1.4, 0.2]]}""")]
    [InlineData("/v1/models/iris/versions/1:predict", """{"instances": [[5.1, 3.5, 1.4, 0.2]]}""")]
    public async Task Infer_AnswersWithoutTheRequestsServiceProvider(string url, string json)
    {
        await using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton<IStartupFilter>(new NoRequestServices()));
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, url, json);

        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Fact]
    public async Task Infer_ErrorAnswerWithoutTheRequestsServiceProvider()
    {
        await using var factory = new AiServeFactory(TestPaths.Models, services: s => s.AddSingleton<IStartupFilter>(new NoRequestServices()));
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer", """{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("input", body.GetProperty("error").GetString());
    }

    /// <summary>Gives infer requests (POST) a service provider that throws, before the rest of the pipeline runs.</summary>
    private sealed class NoRequestServices : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (HttpMethods.IsPost(http.Request.Method))
                {
                    http.RequestServices = new ThrowingServiceProvider();
                }

                return nextMiddleware(http);
            });
            next(app);
        };
    }

    private sealed class ThrowingServiceProvider : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            throw new InvalidOperationException($"the request's service provider was asked for {serviceType}");
    }
}
