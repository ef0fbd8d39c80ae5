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

        var media = new OpenApiMediaType
        {
            Schema = context.SchemaGenerator.GenerateSchema(typeof(TfExamplesRequestDocument), context.SchemaRepository),
            Examples = new Dictionary<string, IOpenApiExample>(),
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "Examples, each a record in the model's own terms (see the model's record schema); 'context' holds fields every example shares.",
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = media },
        };
        var tasks = endpoint.Method == "classify" ? [ModelTask.Classification] : new[] { ModelTask.Regression, ModelTask.Recommendation };
        foreach (var model in manager.Models)
        {
            if (model.LatestReady is { Pipeline: { } pipeline } version && version.Config?.Task is { } task && tasks.Contains(task))
            {
                media.Examples[model.Name] = new OpenApiExample
                {
                    Summary = $"{model.Name} (version {version.Version})",
                    Value = new JsonObject { ["examples"] = new JsonArray(pipeline.ExampleRecord()) },
                };
            }
        }
    }
}
