using System.Text.Json.Nodes;
using AiServe.Core.Lifecycle;
using AiServe.Server.Protocols.TfServing;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// Describes the request body of TF Serving's <c>:classify</c> and <c>:regress</c> operations, with a runnable
/// example per model whose pipeline answers them (classification pipelines classify; regression and recommendation
/// pipelines regress: <see cref="TfServingEndpoints.Fits"/>, the rule the endpoints check):
/// <c>{"examples": [the pipeline's example record]}</c>. Built per request, so it follows reloads.
/// </summary>
internal sealed class ClassifyRegressFilter(ModelManager manager) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<TfExamplesEndpointMetadata>().FirstOrDefault() is not { } endpoint)
        {
            return;
        }

        ExampleRequestBody.Set(operation, context, manager, typeof(TfExamplesRequestDocument),
            "Examples, each a record in the model's own terms (see the model's record schema); 'context' holds fields every example shares.",
            version => version.Pipeline is { } pipeline && TfServingEndpoints.Fits(endpoint.Method, pipeline.Answers)
                ? new JsonObject { ["examples"] = new JsonArray(pipeline.ExampleRecord()) }
                : null);
    }
}
