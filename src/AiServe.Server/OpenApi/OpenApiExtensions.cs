namespace AiServe.Server.OpenApi;

/// <summary>The OpenAPI document (Swashbuckle) and Swagger UI at /swagger.</summary>
internal static class OpenApiExtensions
{
    public static IServiceCollection AddAiServeOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new Microsoft.OpenApi.OpenApiInfo
            {
                Title = "AiServe",
                Version = "v1",
                Description = "Serves ONNX models over the Open Inference Protocol (KServe V2) and TensorFlow Serving's REST API. "
                    + "Each infer and predict operation has a ready-to-run example per loaded model: pick it, put the model's name in the path, and execute. "
                    + "Models with a pipeline also have their own operation under 'Models (records)', which takes records in the model's own terms.",
            });
            options.OperationFilter<RouteParametersFilter>();
            options.OperationFilter<InferExamplesFilter>();
            options.OperationFilter<ClassifyRegressFilter>();
            options.OperationFilter<RequestTimeoutHeaderFilter>();
            options.DocumentFilter<PipelineRecordsFilter>();
        });
        return services;
    }

    /// <summary>
    /// The document is an endpoint (<c>/swagger/v1/swagger.json</c>, or <c>.yaml</c>) and the UI a branch taken only by
    /// paths under <c>/swagger</c>, so that inference requests pass neither: as middleware, Swashbuckle's document
    /// handler resolved a new <c>SwaggerGenerator</c> for every request, and the UI ran a path match and a static-file
    /// lookup on each.
    /// </summary>
    public static WebApplication UseAiServeOpenApi(this WebApplication app)
    {
        // OpenAPI 3.1: pipeline records use JSON Schema type unions (a numeric feature may be a number, null or "NaN").
        app.MapSwagger(setupAction: options => options.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1);
        app.UseWhen(
            http => http.Request.Path.StartsWithSegments("/swagger", StringComparison.OrdinalIgnoreCase),
            ui => ui.UseSwaggerUI(options =>
            {
                options.SwaggerEndpoint("/swagger/v1/swagger.json", "AiServe v1");
                options.RoutePrefix = "swagger";
            }));
        return app;
    }
}
