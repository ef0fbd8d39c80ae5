using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// Describes every <c>{segment}</c> of an operation's route as a required path parameter. The handlers read
/// <c>{version}</c> and <c>{label}</c> from the route themselves (so that a query string can never select a version),
/// which leaves them out of what ASP.NET Core's API explorer reports; Swagger UI needs them to fill in the path.
/// </summary>
internal sealed partial class RouteParametersFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var path = context.ApiDescription.RelativePath ?? "";
        foreach (Match match in Segment().Matches(path))
        {
            var name = match.Groups[1].Value;
            operation.Parameters ??= [];
            if (operation.Parameters.Any(p => p.Name == name && p.In == ParameterLocation.Path))
            {
                continue;
            }

            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Description = name switch
                {
                    "version" => "The model version: a positive integer",
                    "label" => "A version label from model.json 'labels' (e.g. stable, canary)",
                    _ => null,
                },
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }

    // "{name}" or "{name:constraint}"; the name is what the route binds.
    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")]
    private static partial Regex Segment();
}
