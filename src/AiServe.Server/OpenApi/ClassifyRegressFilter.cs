using System.Text.Json.Nodes;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;
using AiServe.Server.Protocols.TfServing;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// Describes the request body of TF Serving's <c>:classify</c> and <c>:regress</c> operations, with a runnable
/// example per model whose pipeline answers them (classification models classify; regression and recommendation
/// models regress): <c>{"examples": [the pipeline's example record]}</c>. Built per request, so it follows reloads.
/// </summary>
internal sealed class ClassifyRegressFilter(ModelManager manager) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<TfExamplesEndpointMetadata>().FirstOrDefault() is not { } endpoint)
        {
            return;
        }

        var tasks = endpoint.Method == "classify" ? [ModelTask.Classification] : new[] { ModelTask.Regression, ModelTask.Recommendation };
        ExampleRequestBody.Set(operation, context, manager, typeof(TfExamplesRequestDocument),
            "Examples, each a record in the model's own terms (see the model's record schema); 'context' holds fields every example shares.",
            version => version is { Pipeline: { } pipeline, Config.Task: { } task } && tasks.Contains(task)
                ? new JsonObject { ["examples"] = new JsonArray(pipeline.ExampleRecord()) }
                : null);
    }
}
