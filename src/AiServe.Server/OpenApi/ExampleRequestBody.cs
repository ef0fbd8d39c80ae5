using System.Text.Json.Nodes;
using AiServe.Core.Lifecycle;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>An operation's JSON request body: its document's schema, a description, and one example per model.</summary>
internal static class ExampleRequestBody
{
    /// <summary>Sets the body; an example is added for each model's latest ready version that <paramref name="example"/> gives one for.</summary>
    public static void Set(
        OpenApiOperation operation, OperationFilterContext context, ModelManager manager, Type document, string description, Func<ModelVersion, JsonNode?> example)
    {
        var examples = new Dictionary<string, IOpenApiExample>();
        foreach (var model in manager.Models)
        {
            if (model.LatestReady is { } version && example(version) is { } value)
            {
                examples[model.Name] = new OpenApiExample { Summary = $"{model.Name} (version {version.Version})", Value = value };
            }
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(document, context.SchemaRepository), Examples = examples },
            },
        };
    }
}
