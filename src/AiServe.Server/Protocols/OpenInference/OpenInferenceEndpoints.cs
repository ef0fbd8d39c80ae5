using System.Globalization;
using System.Reflection;
using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiServe.Server.Protocols.OpenInference;

/// <summary>The Open Inference Protocol (KServe V2) over REST: health, metadata and infer.</summary>
internal static class OpenInferenceEndpoints
{
    /// <summary>The platform name reported for ONNX models (Triton's name for ONNX Runtime models).</summary>
    public const string Platform = "onnxruntime_onnx";

    /// <summary>The protocol extensions implemented, as advertised by <c>GET /v2</c>.</summary>
    public static readonly IReadOnlyList<string> Extensions = ["binary_tensor_data", "schedule_policy"];

    private static readonly string ServerVersion =
        typeof(OpenInferenceEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RouteGroupBuilder MapOpenInference(this IEndpointRouteBuilder endpoints)
    {
        var v2 = endpoints.MapGroup("/v2").WithTags("Open Inference Protocol (KServe V2)");
        var services = new InferenceServices(endpoints.ServiceProvider);
        var infer = (HttpContext http, string model) => Infer(http, model, services);

        v2.MapGet("", ServerMetadata).WithName("V2ServerMetadata").WithSummary("Server metadata and the protocol extensions it implements");
        v2.MapGet("/health/live", Live).WithName("V2ServerLive").WithSummary("Server liveness");
        v2.MapGet("/health/ready", Ready).WithName("V2ServerReady").WithSummary("Server readiness: every model has loaded or failed");

        v2.MapGet("/models/{model}", ModelMetadata).WithName("V2ModelMetadata").WithSummary("Model metadata (the highest ready version)");
        v2.MapGet("/models/{model}/versions/{version}", ModelMetadata).WithName("V2ModelVersionMetadata").WithSummary("Model version metadata");
        v2.MapGet("/models/{model}/ready", ModelReady).WithName("V2ModelReady").WithSummary("Model readiness");
        v2.MapGet("/models/{model}/versions/{version}/ready", ModelReady).WithName("V2ModelVersionReady").WithSummary("Model version readiness");

        ConfigureInfer(v2.MapPost("/models/{model}/infer", infer).WithName("V2ModelInfer").WithSummary("Inference on the highest ready version"));
        ConfigureInfer(v2.MapPost("/models/{model}/versions/{version}/infer", infer).WithName("V2ModelVersionInfer").WithSummary("Inference on one version"));
        ConfigureInfer(v2.MapPost("/models/{model}/labels/{label}/infer", infer).WithName("V2ModelLabelInfer")
            .WithSummary("Inference on the version a label (model.json 'labels', e.g. stable, canary) points at; an AiServe addition"));
        return v2;
    }

    // No Accepts<T>(): it would make routing refuse bodies without a JSON content type with 415, and V2 clients send
    // JSON as text/plain, octet-stream or nothing. The OpenAPI request body is added by InferExamplesFilter instead.
    private static void ConfigureInfer(RouteHandlerBuilder builder) => builder
        .Produces<V2InferResponseDocument>(StatusCodes.Status200OK, "application/json", "application/octet-stream")
        .Produces<V2Error>(StatusCodes.Status400BadRequest)
        .Produces<V2Error>(StatusCodes.Status404NotFound)
        .Produces<V2Error>(StatusCodes.Status413PayloadTooLarge)
        .Produces<V2Error>(StatusCodes.Status503ServiceUnavailable)
        .WithMetadata(new InferEndpointMetadata());

    private static Ok<V2ServerMetadata> ServerMetadata() =>
        TypedResults.Ok(new V2ServerMetadata("aiserve", ServerVersion, Extensions));

    private static Ok<V2Live> Live() => TypedResults.Ok(new V2Live(true));

    private static Results<Ok<V2Ready>, JsonHttpResult<V2Ready>> Ready(ModelManager manager) =>
        manager.IsReady
            ? TypedResults.Ok(new V2Ready(true))
            : TypedResults.Json(new V2Ready(false), statusCode: StatusCodes.Status503ServiceUnavailable);

    private static Results<Ok<V2ModelMetadata>, JsonHttpResult<V2Error>> ModelMetadata(HttpContext http, string model, ModelManager manager)
    {
        var (version, _) = InferenceHttp.Addressed(http, model);
        try
        {
            var resolved = manager.Resolve(model, InferenceHttp.ParseVersion(version));
            var signature = resolved.Signature ?? throw ModelManager.NotReady(resolved);
            // The metadata of one version names that version only; of the model, every ready version (as Triton).
            var versions = version is not null
                ? [resolved.VersionText]
                : manager.Find(model)!.Versions.Values
                    .Where(v => v.State == ModelVersionState.Ready)
                    .Select(v => v.VersionText)
                    .ToArray();
            return TypedResults.Ok(new V2ModelMetadata(
                model,
                versions,
                Platform,
                signature.Inputs.Select(ToMetadata).ToArray(),
                signature.Outputs.Select(ToMetadata).ToArray()));
        }
        catch (InferenceException ex)
        {
            return Error(ex);
        }
    }

    private static Results<Ok<V2ModelReady>, JsonHttpResult<V2ModelReady>, JsonHttpResult<V2Error>> ModelReady(HttpContext http, string model, ModelManager manager)
    {
        var (version, _) = InferenceHttp.Addressed(http, model);
        try
        {
            var resolved = manager.Resolve(model, InferenceHttp.ParseVersion(version));
            return resolved.State == ModelVersionState.Ready
                ? TypedResults.Ok(new V2ModelReady(model, true))
                : TypedResults.Json(
                    new V2ModelReady(model, false, resolved.State.ToString().ToUpperInvariant(), resolved.Reason),
                    statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (InferenceException ex)
        {
            return Error(ex);
        }
    }

    private static Task Infer(HttpContext http, string model, InferenceServices services) =>
        InferenceHttp.HandleAsync(http, V2Errors.StatusCode, services, model, services, static async (http, services, call) =>
        {
            var headerLength = ParseHeaderLength(http.Request);
            var served = call.Version;
            using var body = await RequestBody.ReadAsync(http.Request, services.MaxRequestBodyBytes, call.BodyRead);
            var request = headerLength == 0
                ? V2RequestReader.ReadRaw(body.Memory, served.Signature!, served.Config?.MaxBatchSize ?? 0)
                : V2RequestReader.Read(body.Memory, headerLength, served);
            var schedule = call.Schedule(request.Priority, InferenceHttp.TimeoutFromMicroseconds(request.TimeoutMicroseconds));
            var response = await served.InferAsync(request.Request, schedule, call.Aborted);
            await V2ResponseWriter.WriteAsync(http.Response, response, request, call.Aborted);
        });

    private static int? ParseHeaderLength(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(V2ResponseWriter.HeaderContentLength, out var values))
        {
            return null;
        }

        if (!int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                $"{V2ResponseWriter.HeaderContentLength} must be a non-negative integer, got '{values}'");
        }

        return length;
    }

    private static V2TensorMetadata ToMetadata(TensorSpec spec) => new(spec.Name, spec.DataType.ToWireName(), spec.Shape);

    private static JsonHttpResult<V2Error> Error(InferenceException ex) =>
        TypedResults.Json(new V2Error(ex.Message), statusCode: V2Errors.StatusCode(ex.Code));
}

/// <summary>Marks the infer endpoints, so that OpenAPI can add per-model examples to them.</summary>
internal sealed class InferEndpointMetadata;
