using AiServe.Core.Lifecycle;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiServe.Server.Api;

/// <summary>Operator health checks (load balancers, Kubernetes probes), beside the protocol's own /v2/health.</summary>
internal static class HealthEndpoints
{
    public static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        var health = endpoints.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", Live).WithName("HealthLive").WithSummary("The process is up");
        health.MapGet("/ready", Ready).WithName("HealthReady").WithSummary("Every model has loaded or failed for good; lists each version's state");
        return health;
    }

    private static Ok<HealthStatus> Live() => TypedResults.Ok(new HealthStatus("live", null));

    private static Results<Ok<HealthStatus>, JsonHttpResult<HealthStatus>> Ready(ModelManager manager)
    {
        var models = manager.Models.ToDictionary(
            m => m.Name,
            m => m.Versions.Values.ToDictionary(v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), v => v.State.ToString().ToUpperInvariant()));
        return manager.IsReady
            ? TypedResults.Ok(new HealthStatus("ready", models))
            : TypedResults.Json(new HealthStatus(manager.InitialLoadComplete ? "draining" : "loading", models), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>A health answer: the status, and each model's version states.</summary>
    internal sealed record HealthStatus(string Status, IReadOnlyDictionary<string, Dictionary<string, string>>? Models);
}
