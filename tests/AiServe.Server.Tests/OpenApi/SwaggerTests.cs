using System.Net;
using System.Text.Json;
using AiServe.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Swashbuckle.AspNetCore.Swagger;

namespace AiServe.Server.Tests.OpenApi;

public sealed class SwaggerTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Fact]
    public async Task SwaggerUi_Get_ServesPage()
    {
        var client = await factory.StartAsync();

        using var response = await client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/swagger")]
    [InlineData("/swagger/")]
    public async Task SwaggerUi_Root_RedirectsToThePage(string path)
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await factory.StartAsync();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.EndsWith("index.html", response.Headers.Location?.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2")]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/v2/models/{model}")]
    [InlineData("/v2/models/{model}/versions/{version}")]
    [InlineData("/v2/models/{model}/ready")]
    [InlineData("/v2/models/{model}/versions/{version}/ready")]
    [InlineData("/v2/models/{model}/infer")]
    [InlineData("/v2/models/{model}/versions/{version}/infer")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/v2/models/{model}/labels/{label}/infer")]
    [InlineData("/v1/models/{model}")]
    [InlineData("/v1/models/{model}/versions/{version}")]
    [InlineData("/v1/models/{model}/labels/{label}")]
    [InlineData("/v1/models/{model}/metadata")]
    [InlineData("/v1/models/{model}/versions/{version}/metadata")]
    [InlineData("/v1/models/{model}/labels/{label}/metadata")]
    [InlineData("/v1/models/{model}:predict")]
    [InlineData("/v1/models/{model}/versions/{version}:predict")]
    [InlineData("/v1/models/{model}/labels/{label}:predict")]
    public async Task Document_DescribesEveryEndpoint(string path)
    {
        var document = await Document();

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task Document_EveryRouteSegmentIsARequiredPathParameter_AndNoVersionOrLabelInTheQuery()
    {
        var document = await Document();

        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var segments = System.Text.RegularExpressions.Regex.Matches(path.Name, @"\{(\w+)\}").Select(m => m.Groups[1].Value).ToList();
            foreach (var operation in path.Value.EnumerateObject())
            {
                var parameters = operation.Value.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
                foreach (var segment in segments)
                {
                    Assert.Contains(parameters, p => p.GetProperty("name").GetString() == segment
                        && p.GetProperty("in").GetString() == "path" && p.GetProperty("required").GetBoolean());
                }

                Assert.DoesNotContain(parameters, p => p.GetProperty("in").GetString() == "query"
                    && p.GetProperty("name").GetString() is "version" or "label");
            }
        }
    }

    [Fact]
    public async Task Document_EveryInferenceOperationTakesTheRequestTimeoutHeader()
    {
        var document = await Document();
        var posts = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Value.TryGetProperty("post", out _))
            .ToList();

        // V2 infer x3; TF Serving predict, classify, regress x3; each pipeline model's own predict.
        Assert.True(posts.Count >= 12, $"{posts.Count} inference operations");
        foreach (var path in posts)
        {
            var parameters = path.Value.GetProperty("post").GetProperty("parameters").EnumerateArray();
            Assert.Contains(parameters, p => p.GetProperty("name").GetString() == "X-Request-Timeout"
                && p.GetProperty("in").GetString() == "header" && !(p.TryGetProperty("required", out var required) && required.GetBoolean()));
        }

        // Status, metadata and health take no deadline.
        var gets = document.GetProperty("paths").EnumerateObject().Where(p => p.Value.TryGetProperty("get", out _)).ToList();
        Assert.NotEmpty(gets);
        Assert.DoesNotContain(gets, p => p.Value.GetProperty("get").TryGetProperty("parameters", out var list)
            && list.EnumerateArray().Any(q => q.GetProperty("name").GetString() == "X-Request-Timeout"));
    }

    [Theory]
    [InlineData("/v2/models/{model}/infer")]
    [InlineData("/v2/models/{model}/versions/{version}/infer")]
    public async Task Document_InferHasRequestSchemaAndOneRunnableExamplePerModel(string path)
    {
        var client = await factory.StartAsync();
        var document = await Document();
        var post = document.GetProperty("paths").GetProperty(path).GetProperty("post");
        var media = post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json");

        Assert.True(media.TryGetProperty("schema", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("200", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("400", out _));
        var examples = media.GetProperty("examples");
        foreach (var model in new[] { "iris", "fashion-mnist" })
        {
            // The example must run as it stands against its model.
            var example = examples.GetProperty(model).GetProperty("value").GetRawText();
            var (status, body) = await V2Http.PostJsonAsync(client, $"/v2/models/{model}/infer", example);
            Assert.True(status == HttpStatusCode.OK, $"{model}: {body}");
        }
    }

    [Fact]
    public async Task Document_TfPredictHasOneRunnableExamplePerModel()
    {
        var client = await factory.StartAsync();
        var document = await Document();
        var examples = document.GetProperty("paths").GetProperty("/v1/models/{model}:predict").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");

        foreach (var model in examples.EnumerateObject())
        {
            var (status, body) = await V2Http.PostJsonAsync(client, $"/v1/models/{model.Name}:predict", model.Value.GetProperty("value").GetRawText());
            Assert.True(status == HttpStatusCode.OK, $"{model.Name}: {body}");
        }

        Assert.True(examples.TryGetProperty("iris", out _));
    }

    [Theory]
    [InlineData("classify", new[] { "austen", "fashion-mnist", "penguins" })]
    [InlineData("regress", new[] { "lecturer-ratings" })]
    public async Task Document_ClassifyAndRegressHaveARunnableExamplePerModelThatAnswersThem(string method, string[] models)
    {
        var client = await factory.StartAsync();
        var document = await Document();
        var examples = document.GetProperty("paths").GetProperty($"/v1/models/{{model}}:{method}").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");

        Assert.Equal(models, examples.EnumerateObject().Select(e => e.Name).Order());
        foreach (var model in examples.EnumerateObject())
        {
            var (status, body) = await V2Http.PostJsonAsync(client, $"/v1/models/{model.Name}:{method}", model.Value.GetProperty("value").GetRawText());
            Assert.True(status == HttpStatusCode.OK, $"{model.Name}: {body}");
            Assert.Equal(1, body.GetProperty("results").GetArrayLength());
        }
    }

    [Theory]
    [InlineData("penguins", "island")]
    [InlineData("fashion-mnist", "image_b64")]
    [InlineData("austen", null)]
    [InlineData("lecturer-ratings", "user")]
    public async Task Document_PipelineModel_HasRecordSchemaAndRunnableRecordExample(string model, string? field)
    {
        var client = await factory.StartAsync();
        var document = await Document();

        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty($"{model}.record");
        if (field is not null)
        {
            Assert.True(schema.GetProperty("properties").TryGetProperty(field, out _), schema.ToString());
        }

        var content = document.GetProperty("paths").GetProperty($"/v1/models/{model}:predict").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json");
        Assert.Equal($"#/components/schemas/{model}.record", content.GetProperty("schema").GetProperty("properties").GetProperty("instances").GetProperty("items").GetProperty("$ref").GetString());
        var (status, body) = await V2Http.PostJsonAsync(client, $"/v1/models/{model}:predict", content.GetProperty("example").GetRawText());
        Assert.True(status == HttpStatusCode.OK, $"{model}: {body}");
        Assert.Equal(1, body.GetProperty("predictions").GetArrayLength());
    }

    [Fact]
    public async Task Document_PenguinsNumericFeature_AllowsNumberNullOrNaNString()
    {
        var document = await Document();

        var feature = document.GetProperty("components").GetProperty("schemas").GetProperty("penguins.record").GetProperty("properties").GetProperty("bill_length_mm");

        Assert.Equal(["null", "number", "string"], feature.GetProperty("type").EnumerateArray().Select(t => t.GetString()).Order());
    }

    [Fact]
    public async Task Document_IrisExample_UsesWarmupSampleFromModelJson()
    {
        var document = await Document();

        var example = document.GetProperty("paths").GetProperty("/v2/models/{model}/infer").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
            .GetProperty("examples").GetProperty("iris").GetProperty("value");

        Assert.Equal(5.1, example.GetProperty("inputs")[0].GetProperty("data")[0].GetDouble(), 6);
    }

    [Fact]
    public async Task Infer_DoesNotBuildTheOpenApiGenerator_TheDocumentDoes()
    {
        var built = 0;
        using var counting = new AiServeFactory(TestPaths.Models, services: services =>
        {
            // Count every ISwaggerProvider the container builds (Swashbuckle registers it with a factory).
            var registered = services.Last(d => d.ServiceType == typeof(ISwaggerProvider));
            var build = registered.ImplementationFactory!;
            services.Remove(registered);
            services.Add(new ServiceDescriptor(typeof(ISwaggerProvider), provider =>
            {
                Interlocked.Increment(ref built);
                return build(provider);
            }, registered.Lifetime));
        });
        var client = await counting.StartAsync();

        for (var i = 0; i < 3; i++)
        {
            var (status, _) = await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
                """{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        Assert.Equal(0, Volatile.Read(ref built));
        var (documentStatus, _) = await V2Http.GetAsync(client, "/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, documentStatus);
        Assert.True(Volatile.Read(ref built) > 0);
    }

    private async Task<JsonElement> Document()
    {
        var client = await factory.StartAsync();
        var (status, body) = await V2Http.GetAsync(client, "/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }
}
