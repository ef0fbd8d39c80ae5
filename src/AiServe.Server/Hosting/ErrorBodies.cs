using AiServe.Server.Protocols;

namespace AiServe.Server.Hosting;

/// <summary>
/// Every error answer carries <c>{"error": "..."}</c>, as the protocols' own errors do: the ones routing gives
/// without a body (no endpoint for the path, 404; a method the path does not take, 405) get one that says so.
/// </summary>
internal static class ErrorBodies
{
    /// <summary>
    /// Runs after routing (which <c>WebApplication</c> puts first): a request routing matched to an endpoint passes
    /// straight on, at the cost of one type check; only the others are awaited and looked at afterwards.
    /// </summary>
    public static IApplicationBuilder UseAiServeErrorBodies(this IApplicationBuilder app) =>
        app.Use((http, next) => http.GetEndpoint() is RouteEndpoint ? next(http) : WithErrorBodyAsync(http, next));

    private static async Task WithErrorBodyAsync(HttpContext http, RequestDelegate next)
    {
        await next(http);
        var response = http.Response;
        if (response.HasStarted || response.ContentType is not null || http.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var message = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"no endpoint answers {http.Request.Method} {http.Request.Path}; the API is listed at /swagger",
            StatusCodes.Status405MethodNotAllowed => InferenceHttp.MethodNotAllowed(http.Request, response.Headers.Allow is { Count: > 0 } allow ? allow.ToString() : "none"),
            _ => null,
        };
        if (message is not null)
        {
            await InferenceHttp.WriteErrorAsync(http, response.StatusCode, message);
        }
    }
}
