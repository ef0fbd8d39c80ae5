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
            m => m.Versions.Values.ToDictionary(v => v.VersionText, v => v.State.ToString().ToUpperInvariant()));

        // Why a version is unavailable, or serves although its files or model.json changed: what an operator reads next.
        var reasons = new Dictionary<string, Dictionary<string, string>>();
        foreach (var model in manager.Models)
        {
            var notes = model.Versions.Values.Where(v => v.Note.Length > 0).ToDictionary(v => v.VersionText, v => v.Note);
            if (model.ConfigError is { } error)
            {
                notes["model.json"] = error;
            }

            foreach (var (label, version) in model.Labels)
            {
                if (!model.Versions.ContainsKey(version))
                {
                    notes[$"label {label}"] = $"points at version {version}, which is not loaded (requests by this label get 503)";
                }
            }

            if (notes.Count > 0)
            {
                reasons[model.Name] = notes;
            }
        }

        var status = new HealthStatus(manager.IsReady ? "ready" : manager.InitialLoadComplete ? "draining" : "loading", models, reasons.Count > 0 ? reasons : null);
        return manager.IsReady ? TypedResults.Ok(status) : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);

    }

    /// <summary>
    /// A health answer: the status, each model's version states, and (when there are any) per model the reasons of
    /// versions that are unavailable or serve despite a failed reload, and a model.json that could not be applied.
    /// </summary>
    internal sealed record HealthStatus(
        string Status,
        IReadOnlyDictionary<string, Dictionary<string, string>>? Models,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyDictionary<string, Dictionary<string, string>>? Reasons = null);
}
