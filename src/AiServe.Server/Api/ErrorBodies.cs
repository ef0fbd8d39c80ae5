using AiServe.Server.Protocols;

namespace AiServe.Server.Api;

/// <summary>
/// Every error answer carries <c>{"error": "..."}</c>, as the protocols' own errors do: the ones routing gives
/// without a body (no endpoint for the path, 404; a method the path does not take, 405) get one that says so.
/// </summary>
internal static class ErrorBodies
{
    public static IApplicationBuilder UseAiServeErrorBodies(this IApplicationBuilder app) =>
        app.UseStatusCodePages(context =>
        {
            var http = context.HttpContext;
            var request = $"{http.Request.Method} {http.Request.Path}";
            var message = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no endpoint answers {request}; the API is listed at /swagger",
                StatusCodes.Status405MethodNotAllowed => $"{request}: the method is not allowed here" +
                    (http.Response.Headers.Allow is { Count: > 0 } allow ? $" (allowed: {allow})" : ""),
                var status => $"{request}: {ReasonPhrase(status)}",
            };
            return InferenceHttp.WriteErrorAsync(http, http.Response.StatusCode, message);
        });

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase.ToLowerInvariant() : $"status {status}";
}
