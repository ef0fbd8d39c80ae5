using System.Runtime.CompilerServices;
using AiServe.Server.Protocols;
using AiServe.Server.Protocols.TfServing;
using Microsoft.AspNetCore.Routing.Template;

namespace AiServe.Server.Hosting;

/// <summary>
/// Every error answer carries <c>{"error": "..."}</c>, as the protocols' own errors do: the ones routing gives
/// without a body (no endpoint for the path, 404; a method the path does not take, 405) get one that says so.
/// </summary>
internal static class ErrorBodies
{
    /// <summary>Each endpoint's path matcher, made the first time a 405 needs it.</summary>
    private static readonly ConditionalWeakTable<RouteEndpoint, TemplateMatcher> Matchers = [];

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

        if (response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            CorrectAllow(http);
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

    /// <summary>
    /// Routing's 405 lists the methods of every endpoint it kept as a candidate before it checked the path's complex
    /// segments, so <c>PUT /v1/models/m:predict</c> was told <c>GET, POST</c> (the status route's GET among them,
    /// though GET on that path is refused too) and <c>DELETE /v1/models/m</c> was told POST (the predict route's).
    /// Here the Allow header names the methods of the endpoints whose path pattern matches the whole path, as RFC
    /// 9110 asks.
    /// </summary>
    private static void CorrectAllow(HttpContext http)
    {
        if (http.RequestServices.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return;
        }

        var allowed = new List<string>();
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is not RouteEndpoint route
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { HttpMethods.Count: > 0 } methods
                || !Matchers.GetValue(route, static r => new TemplateMatcher(new RouteTemplate(r.RoutePattern), [])).TryMatch(http.Request.Path, []))
            {
                continue;
            }

            foreach (var method in methods.HttpMethods)
            {
                if (!allowed.Contains(method, StringComparer.OrdinalIgnoreCase))
                {
                    allowed.Add(method);
                }
            }
        }

        // TF Serving's status route takes GET on ".../m:predict" only to refuse it (its last segment reads as a name).
        if (TfServingEndpoints.IsPostOnlyPath(http.Request.Path))
        {
            allowed.RemoveAll(m => m == HttpMethods.Get);
        }

        if (allowed.Count == 0)
        {
            return; // no pattern matches the whole path (none does in this app): routing's own list stays
        }

        allowed.Sort(StringComparer.Ordinal);
        http.Response.Headers.Allow = string.Join(", ", allowed);
    }
}
