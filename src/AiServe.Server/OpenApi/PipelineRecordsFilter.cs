using System.Text.Json.Nodes;
using AiServe.Core.Lifecycle;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// For every model with a pipeline, documents the record its pipeline accepts (a schema component built from the
/// pipeline, e.g. the penguins' features with their types and categories) and a ready-to-run
/// <c>/v1/models/{name}:predict</c> operation with an example record. Built per request, so it follows reloads.
/// </summary>
internal sealed class PipelineRecordsFilter(ModelManager manager) : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        swaggerDoc.Components ??= new OpenApiComponents();
        swaggerDoc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        swaggerDoc.Tags ??= new HashSet<OpenApiTag>();
        swaggerDoc.Tags.Add(new OpenApiTag { Name = "Models (records)", Description = "Models with a pipeline: send records in the model's own terms, get friendly predictions." });
        foreach (var model in manager.Models)
        {
            if (model.LatestReady is not { Pipeline: { } pipeline } version)
            {
                continue;
            }

            var component = $"{model.Name}.record";
            swaggerDoc.Components.Schemas[component] = ToSchema(pipeline.RecordSchema());
            var body = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "instances" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["instances"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(component, swaggerDoc) },
                },
            };
            var operation = new OpenApiOperation
            {
                Summary = $"Predict with {model.Name} (version {version.Version}, {pipeline.Kind} pipeline) from records",
                Description = model.Config?.Description,
                OperationId = $"Predict_{model.Name}",
                Tags = new HashSet<OpenApiTagReference> { new("Models (records)", swaggerDoc) },
                Parameters = [RequestTimeoutHeaderFilter.Parameter()],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new()
                        {
                            Schema = body,
                            Example = new JsonObject { ["instances"] = new JsonArray(pipeline.ExampleRecord().DeepClone()) },
                        },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "One friendly prediction per record: {\"predictions\": [...]}" },
                    ["400"] = new OpenApiResponse { Description = "A record does not fit the pipeline: {\"error\": \"record i: field 'x' ...\"}" },
                },
            };
            var path = new OpenApiPathItem();
            path.AddOperation(HttpMethod.Post, operation);
            swaggerDoc.Paths[$"/v1/models/{model.Name}:predict"] = path;
        }
    }

    /// <summary>Converts the JSON Schema subset pipelines produce (type, description, enum, properties, required, items, bounds).</summary>
    internal static OpenApiSchema ToSchema(JsonObject json)
    {
        var schema = new OpenApiSchema
        {
            Description = json["description"]?.GetValue<string>(),
            Format = json["format"]?.GetValue<string>(),
        };
        schema.Type = json["type"] switch
        {
            JsonArray types => types.Select(t => ParseType(t!.GetValue<string>())).Aggregate((JsonSchemaType)0, (a, b) => a | b),
            JsonValue type => ParseType(type.GetValue<string>()),
            _ => null,
        };
        if (json["enum"] is JsonArray values)
        {
            schema.Enum = values.Select(v => v?.DeepClone()).ToList()!;
        }

        if (json["properties"] is JsonObject properties)
        {
            schema.Properties = properties.ToDictionary(p => p.Key, p => (IOpenApiSchema)ToSchema(p.Value!.AsObject()));
        }

        if (json["required"] is JsonArray required)
        {
            schema.Required = required.Select(r => r!.GetValue<string>()).ToHashSet();
        }

        if (json["items"] is JsonObject items)
        {
            schema.Items = ToSchema(items);
        }

        if (json["minimum"] is JsonValue minimum)
        {
            schema.Minimum = minimum.ToJsonString();
        }

        if (json["maximum"] is JsonValue maximum)
        {
            schema.Maximum = maximum.ToJsonString();
        }

        if (json["oneOf"] is JsonArray oneOf)
        {
            schema.OneOf = oneOf.Select(o => (IOpenApiSchema)ToSchema(o!.AsObject())).ToList();
        }

        return schema;
    }

    private static JsonSchemaType ParseType(string type) => type switch
    {
        "object" => JsonSchemaType.Object,
        "array" => JsonSchemaType.Array,
        "string" => JsonSchemaType.String,
        "number" => JsonSchemaType.Number,
        "integer" => JsonSchemaType.Integer,
        "boolean" => JsonSchemaType.Boolean,
        _ => JsonSchemaType.Null,
    };
}
