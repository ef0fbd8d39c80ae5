using System.Runtime.CompilerServices;
using AiServe.Server.Protocols;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace AiServe.Server.Hosting;

/// <summary>
/// Every error answer carries <c>{"error": "..."}</c>, as the protocols' own errors do: the ones routing gives
/// without a body (no endpoint for the path, 404; a method the path does not take, 405) get one that says so.
/// </summary>
internal static class ErrorBodies
{
    /// <summary>Each endpoint's path matcher and route constraints, made the first time an unrouted request needs them.</summary>
    private static readonly ConditionalWeakTable<RouteEndpoint, PathTest> PathTests = [];

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

        if (response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
        {
            AnswerByMethods(http);
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
    /// 405 with <c>Allow</c> naming the methods of the endpoints whose whole pattern (constraints included) matches the
    /// path, when there are any; otherwise the status stays. Routing's own answer is not that: it picks candidates by
    /// method before it checks constraints and a segment's literal parts, so its 405 listed methods the path does not
    /// take (<c>PUT /v1/models/m:predict</c> was told <c>GET, POST</c>, from the status route), and a path whose
    /// only route of the request's method is ruled out by a constraint got 404 (<c>GET /v1/models/m:predict</c>).
    /// </summary>
    private static void AnswerByMethods(HttpContext http)
    {
        if (http.RequestServices.GetService<EndpointDataSource>() is not { } endpoints
            || http.RequestServices.GetService<ParameterPolicyFactory>() is not { } policies)
        {
            return;
        }

        var allowed = new List<string>();
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is RouteEndpoint route
                && endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 } methods
                && PathTests.GetValue(route, r => new PathTest(r.RoutePattern, policies)).Matches(http))
            {
                allowed.AddRange(methods.HttpMethods.Where(m => !allowed.Contains(m, StringComparer.OrdinalIgnoreCase)));
            }
        }

        if (allowed.Count == 0 || allowed.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        allowed.Sort(StringComparer.Ordinal);
        http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        http.Response.Headers.Allow = string.Join(", ", allowed);
    }

    /// <summary>Whether a route pattern, its constraints included, matches a request's path.</summary>
    private sealed class PathTest(RoutePattern pattern, ParameterPolicyFactory policies)
    {
        private readonly TemplateMatcher _matcher = new(new RouteTemplate(pattern), []);

        private readonly (string Name, IRouteConstraint Constraint)[] _constraints = [.. pattern.ParameterPolicies
            .SelectMany(p => p.Value.Select(reference => (p.Key, Policy: policies.Create(pattern.GetParameter(p.Key), reference))))
            .Where(p => p.Policy is IRouteConstraint)
            .Select(p => (p.Key, (IRouteConstraint)p.Policy))];

        public bool Matches(HttpContext http)
        {
            var values = new RouteValueDictionary();
            return _matcher.TryMatch(http.Request.Path, values)
                && _constraints.All(c => c.Constraint.Match(http, null, c.Name, values, RouteDirection.IncomingRequest));
        }
    }
}
