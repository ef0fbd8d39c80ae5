using System.Net;
using System.Text.Json;

namespace AiServe.Server.Tests.Hosting;

/// <summary>Errors that routing answers (no endpoint, a method not taken) carry <c>{"error"}</c> like every other error.</summary>
public sealed class ErrorBodiesTests(BundledModelsFactory factory) : IClassFixture<BundledModelsFactory>
{
    [Theory]
    [InlineData("POST", "/v1/models/iris:predictx", HttpStatusCode.NotFound, "no endpoint answers POST /v1/models/iris:predictx")]
    [InlineData("GET", "/v2/models/iris/labels/stable/ready", HttpStatusCode.NotFound, "no endpoint answers GET /v2/models/iris/labels/stable/ready")]
    [InlineData("GET", "/nowhere", HttpStatusCode.NotFound, "no endpoint answers GET /nowhere")]
    [InlineData("GET", "/v2/models/iris/infer", HttpStatusCode.MethodNotAllowed, "GET /v2/models/iris/infer: the method is not allowed here (allowed: POST)")]
    [InlineData("DELETE", "/v2/health/ready", HttpStatusCode.MethodNotAllowed, "the method is not allowed here (allowed: GET)")]
    public async Task UnroutedRequest_AnswersStatusWithErrorBody(string method, string url, HttpStatusCode expected, string message)
    {
        var client = await factory.StartAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT", "/v1/models/iris:predict", "POST")]
    [InlineData("DELETE", "/v1/models/iris/versions/1:classify", "POST")]
    [InlineData("PATCH", "/v1/models/iris/labels/stable:regress", "POST")]
    [InlineData("DELETE", "/v1/models/iris", "GET")]
    [InlineData("PUT", "/v1/models/iris/versions/1/metadata", "GET")]
    [InlineData("PUT", "/v2/models/iris/infer", "POST")]
    [InlineData("POST", "/v2/models/iris", "GET")]
    [InlineData("POST", "/v1/models/iris", "GET")]
    [InlineData("GET", "/v1/models/iris/labels/stable:predict", "POST")]
    public async Task WrongMethod_AllowNamesOnlyWhatThePathTakes(string method, string url, string allow)
    {
        // Routing's own Allow listed every candidate it kept before checking the path's "name:verb" segments
        // ("GET, POST" for the first four rows), and "POST /v1/models/iris", whose only POST routes are the verbs,
        // was a 404.
        var client = await factory.StartAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Equal($"{method} {url}: the method is not allowed here (allowed: {allow})", error);
    }

    [Fact]
    public async Task ErrorWithItsOwnBody_KeepsIt()
    {
        var client = await factory.StartAsync();

        var (status, body) = await V2Http.GetAsync(client, "/v2/models/nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("unknown model 'nope'", V2Http.Error(body));
    }
}
