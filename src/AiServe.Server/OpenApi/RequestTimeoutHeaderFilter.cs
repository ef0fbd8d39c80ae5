using AiServe.Server.Protocols;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// Describes the <c>X-Request-Timeout</c> header on every inference operation (V2 infer; TF Serving predict, classify
/// and regress: the routes that go through <see cref="InferenceHttp.HandleAsync{TState}"/>), which the handlers read
/// themselves, so the API explorer does not see it.
/// </summary>
internal sealed class RequestTimeoutHeaderFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var path = context.ApiDescription.RelativePath ?? "";
        var inference = string.Equals(context.ApiDescription.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase)
            && (path.StartsWith("v2/models/", StringComparison.Ordinal) && path.EndsWith("/infer", StringComparison.Ordinal)
                || path.StartsWith("v1/models/", StringComparison.Ordinal)
                    && (path.EndsWith(":predict", StringComparison.Ordinal) || path.EndsWith(":classify", StringComparison.Ordinal) || path.EndsWith(":regress", StringComparison.Ordinal)));
        if (!inference)
        {
            return;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(Parameter());
    }

    /// <summary>The header's description (also given to the per-model record operations).</summary>
    public static OpenApiParameter Parameter() => new()
    {
        Name = InferenceHttp.TimeoutHeader,
        In = ParameterLocation.Header,
        Required = false,
        Description = "The request's deadline in milliseconds, counted from its arrival (reading its body included); "
            + "0 asks for none. 504 when it passes. The model's default_timeout_ms caps it.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0" },
    };
}
