using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Core.Pipelines;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>TensorFlow Serving's REST API: model status, metadata and predict, by version or by label.</summary>
internal static class TfServingEndpoints
{
    public static RouteGroupBuilder MapTfServing(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1/models").WithTags("TensorFlow Serving REST");
        var services = new InferenceServices(endpoints.ServiceProvider);

        // A name, version or label has no ':' in TF Serving's URLs ([^/:]+), so ".../m:predict" is never a status path: a
        // GET there finds only the POST route and is answered 405 (ErrorBodies).
        v1.MapGet($"/{{model:{NoColon}}}", Status).WithName("TfModelStatus").WithSummary("Status of every served version");
        v1.MapGet($"/{{model}}/versions/{{version:{NoColon}}}", Status).WithName("TfModelVersionStatus").WithSummary("Status of one version");
        v1.MapGet($"/{{model}}/labels/{{label:{NoColon}}}", Status).WithName("TfModelLabelStatus").WithSummary("Status of the version a label points at");

        v1.MapGet("/{model}/metadata", Metadata).WithName("TfModelMetadata").WithSummary("Signature of the highest ready version");
        v1.MapGet("/{model}/versions/{version}/metadata", Metadata).WithName("TfModelVersionMetadata").WithSummary("Signature of one version");
        v1.MapGet("/{model}/labels/{label}/metadata", Metadata).WithName("TfModelLabelMetadata").WithSummary("Signature of a labelled version");

        var predict = (HttpContext http, string model) => Predict(http, model, services);
        Describe(v1.MapPost("/{model}:predict", predict).WithName("TfPredict").WithSummary("Predict on the highest ready version"));
        Describe(v1.MapPost("/{model}/versions/{version}:predict", predict).WithName("TfVersionPredict").WithSummary("Predict on one version"));
        Describe(v1.MapPost("/{model}/labels/{label}:predict", predict).WithName("TfLabelPredict").WithSummary("Predict on a labelled version"));

        foreach (var method in new[] { "classify", "regress" })
        {
            var summary = method == "classify"
                ? "Classify examples (models with a classification pipeline): top-k [label, score] pairs per example"
                : "Regress examples (models with a regression or rating pipeline): one value per example";
            var name = char.ToUpperInvariant(method[0]) + method[1..];
            var handler = (HttpContext h, string model) => ClassifyOrRegress(h, model, method, services);
            DescribeExamples(v1.MapPost($"/{{model}}:{method}", handler).WithName($"Tf{name}").WithSummary(summary), method);
            DescribeExamples(v1.MapPost($"/{{model}}/versions/{{version}}:{method}", handler).WithName($"TfVersion{name}").WithSummary(summary), method);
            DescribeExamples(v1.MapPost($"/{{model}}/labels/{{label}}:{method}", handler).WithName($"TfLabel{name}").WithSummary(summary), method);
        }

        return v1;
    }

    private static void Describe(RouteHandlerBuilder builder) => builder
        .Produces<TfPredictResponseDocument>()
        .Produces<TfError>(StatusCodes.Status400BadRequest)
        .Produces<TfError>(StatusCodes.Status404NotFound)
        .Produces<TfError>(StatusCodes.Status503ServiceUnavailable)
        .WithMetadata(new TfPredictEndpointMetadata());

    private static void DescribeExamples(RouteHandlerBuilder builder, string method) => builder
        .Produces<TfExamplesResponseDocument>()
        .Produces<TfError>(StatusCodes.Status400BadRequest)
        .Produces<TfError>(StatusCodes.Status404NotFound)
        .Produces<TfError>(StatusCodes.Status503ServiceUnavailable)
        .WithMetadata(new TfExamplesEndpointMetadata(method));

    /// <summary>The route constraint of a path segment without ':' (the regex class written without a colon, which the route syntax would split on).</summary>
    private const string NoColon = @"regex(^[^\x3A]+$)";

    private static Results<Ok<TfModelStatus>, JsonHttpResult<TfError>> Status(HttpContext http, string model, ModelManager manager)
    {
        var (version, label) = InferenceHttp.Addressed(http, model);
        try
        {
            var found = manager.Find(model);
            var served = found is { Versions.Count: > 0 }
                ? found
                : throw new InferenceException(InferenceErrorCode.NotFound, $"Could not find any versions of model {model}{found?.IgnoredFoldersNote}");
            var versions = version is null && label is null
                ? served.Versions.Values.Reverse().ToList()
                : [manager.Resolve(model, InferenceHttp.ParseVersion(version), label)];
            return TypedResults.Ok(new TfModelStatus(versions.Select(ToStatus).ToArray()));
        }
        catch (InferenceException ex)
        {
            return Error(ex);
        }
    }

    private static Results<JsonHttpResult<JsonObject>, JsonHttpResult<TfError>> Metadata(HttpContext http, string model, ModelManager manager)
    {
        var (version, label) = InferenceHttp.Addressed(http, model);
        try
        {
            var resolved = manager.Resolve(model, InferenceHttp.ParseVersion(version), label);
            var signature = resolved.Signature ?? throw ModelManager.NotReady(resolved);
            var signatureDef = new JsonObject
            {
                ["inputs"] = TensorInfos(signature.Inputs),
                ["outputs"] = TensorInfos(signature.Outputs),
                ["method_name"] = "tensorflow/serving/predict",
            };
            var body = new JsonObject
            {
                ["model_spec"] = new JsonObject
                {
                    ["name"] = model,
                    ["signature_name"] = "",
                    ["version"] = resolved.Version.ToString(CultureInfo.InvariantCulture),
                },
                ["metadata"] = new JsonObject
                {
                    ["signature_def"] = new JsonObject
                    {
                        ["signature_def"] = new JsonObject { [TfPredictReader.DefaultSignature] = signatureDef },
                    },
                },
            };
            return TypedResults.Json(body);
        }
        catch (InferenceException ex)
        {
            return Error(ex);
        }
    }

    /// <summary>
    /// Predict. A model without a pipeline takes raw tensors (row or columnar), as TF Serving does. A model with a
    /// pipeline takes records in its own terms as <c>instances</c> (feature names, an image, a text, a user id) and
    /// answers friendly predictions; its <c>inputs</c> (columnar) stay raw tensors. Image models also take a raw
    /// <c>image/*</c> body or <c>multipart/form-data</c> files.
    /// </summary>
    private static Task Predict(HttpContext http, string model, InferenceServices services) =>
        InferenceHttp.HandleAsync(http, TfServingErrors.StatusCode, services, model, services, static async (http, services, call) =>
        {
            var (served, aborted) = (call.Version, call.Aborted);
            var limit = services.MaxRequestBodyBytes;
            if (ImageUploads.IsUpload(http.Request))
            {
                var images = await ImageUploads.ReadAsync(http.Request, limit, call.BodyRead);
                var friendly = await served.PredictImagesAsync(images, call.Schedule(), aborted);
                await WriteJsonAsync(http.Response, w => WriteArray(w, "predictions"u8, friendly), aborted);
                return;
            }

            using var body = await RequestBody.ReadAsync(http.Request, limit, call.BodyRead);
            using var document = ParseJson(body.Memory);
            if (served.Pipeline is not null && document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("instances", out var instances) && !document.RootElement.TryGetProperty("inputs", out _))
            {
                TfPredictReader.CheckSignatureName(document.RootElement);
                var list = RecordList(instances, "instances");
                var friendly = await served.PredictAsync(list, call.Schedule(), aborted);
                await WriteJsonAsync(http.Response, w => WriteArray(w, "predictions"u8, friendly), aborted);
                return;
            }

            var (request, columnar) = TfPredictReader.Read(document.RootElement, served.Signature!);
            var response = await served.InferAsync(request, call.Schedule(), aborted);
            await WritePredictionsAsync(http.Response, response.Outputs, columnar, aborted);
        });

    /// <summary>
    /// TF Serving's Classify and Regress APIs over a model's pipeline: <c>{"context"?, "examples": [...]}</c>, each
    /// example a record (context fields fill in what an example lacks). Classify answers
    /// <c>{"results": [[[label, score], ...], ...]}</c>; regress answers <c>{"results": [value, ...]}</c>.
    /// </summary>
    private static Task ClassifyOrRegress(HttpContext http, string model, string method, InferenceServices services) =>
        InferenceHttp.HandleAsync(http, TfServingErrors.StatusCode, services, model, (services, method), static async (http, state, call) =>
        {
            var (services, method) = state;
            var model = call.Version.ModelName;
            var aborted = call.Aborted;

            // A pipeline that never gives the answer asked for is refused before the body is read or the model runs
            // (a version without a pipeline is refused by PredictAsync, which names what is missing).
            if (call.Version.Pipeline is { } pipeline && !Fits(method, pipeline.Answers))
            {
                throw new InferenceException(InferenceErrorCode.InvalidArgument,
                    $"model '{model}' does not {method}: its pipeline answers {Describe(pipeline.Answers)}; use :predict");
            }

            using var body = await RequestBody.ReadAsync(http.Request, services.MaxRequestBodyBytes, call.BodyRead);
            using var document = ParseJson(body.Memory);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("examples", out var examples))
            {
                throw new InferenceException(InferenceErrorCode.InvalidArgument, $"a :{method} request needs 'examples': a list of records");
            }

            TfPredictReader.CheckSignatureName(root);
            var records = RecordList(examples, "examples");

            // Before the context is copied into every example.
            call.Version.CheckRecordCount(records.Count);
            if (root.TryGetProperty("context", out var context) && context.ValueKind != JsonValueKind.Null)
            {
                records = WithContext(records, context, services.MaxRequestBodyBytes);
            }

            var friendly = await call.Version.PredictAsync(records, call.Schedule(), aborted);
            await WriteJsonAsync(http.Response, w =>
            {
                w.WriteStartArray("results"u8);
                foreach (var answer in friendly)
                {
                    if (method == "classify")
                    {
                        // A classification pipeline's every answer has its top_k list (checked above).
                        var top = (JsonArray)answer["top_k"]!;
                        w.WriteStartArray();
                        foreach (var entry in top)
                        {
                            w.WriteStartArray();
                            w.WriteStringValue(entry!["label"]!.ToString());
                            entry["score"]!.WriteTo(w);
                            w.WriteEndArray();
                        }

                        w.WriteEndArray();
                    }
                    else
                    {
                        // A regression with several output columns answers "values", a recommender's top-k record "items":
                        // known only from the answer.
                        var value = answer["value"] ?? answer["rating"]
                            ?? throw new InferenceException(InferenceErrorCode.InvalidArgument, $"model '{model}' does not regress these examples (its pipeline answers {string.Join(", ", answer.Select(p => p.Key))}, not one value per example); use :predict");
                        value.WriteTo(w);
                    }
                }

                w.WriteEndArray();
            }, aborted);
        });

    /// <summary>
    /// Whether a pipeline's answers can fit TF Serving's <paramref name="method"/> ("classify" or "regress"): classify
    /// takes a classification's top-k labels, regress a regression's value or a recommender's rating of a user-item pair.
    /// </summary>
    internal static bool Fits(string method, PipelineAnswers answers) => method == "classify"
        ? answers == PipelineAnswers.Classification
        : answers is PipelineAnswers.Regression or PipelineAnswers.Recommendation;

    private static string Describe(PipelineAnswers answers) => answers switch
    {
        PipelineAnswers.Outputs => "the model's outputs as they are (pipeline.json has no postprocess section)",
        PipelineAnswers.Classification => "labels and scores",
        PipelineAnswers.Regression => "values",
        PipelineAnswers.Embedding => "embeddings",
        _ => "ratings and recommendations",
    };

    private static List<JsonElement> RecordList(JsonElement list, string field)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"'{field}' must be a non-empty array of records");
        }

        return list.EnumerateArray().ToList();
    }

    /// <summary>
    /// The examples with the context's fields filled in where an example lacks them. Each example is a copy that holds
    /// the context, so the copies together may come to no more than the body limit: a request that could not have
    /// been sent with the context written out in every example cannot grow to that size in the server.
    /// </summary>
    private static List<JsonElement> WithContext(List<JsonElement> examples, JsonElement context, long maxBytes)
    {
        if (context.ValueKind != JsonValueKind.Object)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"'context' must be an object of fields shared by the examples, found {context.ValueKind.ToString().ToLowerInvariant()}");
        }

        // Copied as raw bytes below, which would carry bytes that are not UTF-8 into the copies (as U+FFFD): refused
        // here as reading them would refuse them.
        long total = 0;
        var contextBytes = Readable(JsonMarshal.GetRawUtf8Value(context)).Length;
        foreach (var example in examples)
        {
            total += contextBytes + Readable(JsonMarshal.GetRawUtf8Value(example)).Length;
            if (total > maxBytes)
            {
                throw new InferenceException(InferenceErrorCode.InvalidArgument,
                    $"the examples with the 'context' copied into each come to more than the request body limit of {maxBytes} bytes; send a smaller context or fewer examples");
            }
        }

        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            var merged = new List<JsonElement>(examples.Count);
            foreach (var example in examples)
            {
                merged.Add(example.ValueKind == JsonValueKind.Object ? Merge(example, context, buffer) : example);
            }

            return merged;
        }
        catch (Exception ex) when (RequestText.IsUnreadable(ex))
        {
            throw RequestText.Unreadable("an example or the 'context' holds a value that cannot be read", ex);
        }

        static ReadOnlySpan<byte> Readable(ReadOnlySpan<byte> json) => System.Text.Unicode.Utf8.IsValid(json) ? json
            : throw new InferenceException(InferenceErrorCode.InvalidArgument, "an example or the 'context' holds a value that cannot be read: it is not valid UTF-8");

        static JsonElement Merge(JsonElement example, JsonElement context, ArrayBufferWriter<byte> buffer)
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var property in context.EnumerateObject())
                {
                    if (!example.TryGetProperty(property.Name, out _))
                    {
                        property.WriteTo(writer);
                    }
                }

                foreach (var property in example.EnumerateObject())
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            return document.RootElement.Clone();
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<JsonObject> items)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    private static async Task WriteJsonAsync(HttpResponse http, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        using var buffer = new PooledJsonBuffer();
        var writer = buffer.Start();
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        buffer.Finish();

        http.ContentType = "application/json";
        http.ContentLength = buffer.WrittenCount;
        await http.Body.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>
    /// Row requests get <c>{"predictions": [...]}</c>: per example, the output's row (one output) or an object of
    /// named rows. Columnar requests get <c>{"outputs": ...}</c>: the whole tensor, or an object of named tensors.
    /// </summary>
    private static Task WritePredictionsAsync(HttpResponse http, IReadOnlyList<Tensor> outputs, bool columnar, CancellationToken cancellationToken) =>
        WriteJsonAsync(http, writer =>
        {
            if (columnar)
            {
                writer.WritePropertyName("outputs"u8);
                if (outputs.Count == 1)
                {
                    TfTensorJson.WriteNested(writer, outputs[0], 0, 0);
                }
                else
                {
                    writer.WriteStartObject();
                    foreach (var output in outputs)
                    {
                        writer.WritePropertyName(output.Name);
                        TfTensorJson.WriteNested(writer, output, 0, 0);
                    }

                    writer.WriteEndObject();
                }
            }
            else
            {
                writer.WriteStartArray("predictions"u8);
                var rows = outputs[0].ShapeSpan.Length == 0 ? 1 : outputs[0].ShapeSpan[0];
                for (long row = 0; row < rows; row++)
                {
                    if (outputs.Count == 1)
                    {
                        WriteRow(writer, outputs[0], row);
                    }
                    else
                    {
                        writer.WriteStartObject();
                        foreach (var output in outputs)
                        {
                            writer.WritePropertyName(output.Name);
                            WriteRow(writer, output, row);
                        }

                        writer.WriteEndObject();
                    }
                }

                writer.WriteEndArray();
            }
        }, cancellationToken);

    /// <summary>Writes row <paramref name="row"/> (dimension 0) nested; a scalar output is its own only row.</summary>
    private static void WriteRow(Utf8JsonWriter writer, Tensor tensor, long row)
    {
        var shape = tensor.ShapeSpan;
        var rowSize = shape.Length == 0 ? 0 : TensorShape.ElementCount(shape[1..]);
        TfTensorJson.WriteNested(writer, tensor, 1, row * rowSize);
    }

    // A field given twice is refused, as in V2 bodies (which one would be meant?).
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, Strict);
        }
        catch (Exception ex) when (RequestText.IsMalformed(ex))
        {
            // TF Serving reads the bare tokens NaN, Infinity and -Infinity (Python's json module writes them); as the
            // strings the tensor decoder reads, they parse.
            if (TfTensorJson.QuoteNonFiniteTokens(body.Span) is { } quoted)
            {
                try
                {
                    return JsonDocument.Parse(quoted, Strict);
                }
                catch (Exception again) when (RequestText.IsMalformed(again))
                {
                    // Malformed for another reason too: report the body's first mistake.
                }
            }

            throw RequestText.Malformed(ex);
        }
    }

    private static TfVersionStatus ToStatus(ModelVersion version)
    {
        var (state, code) = version.State switch
        {
            ModelVersionState.Loading => ("LOADING", "OK"),
            ModelVersionState.Ready => ("AVAILABLE", "OK"),
            ModelVersionState.Unloading => ("UNLOADING", "OK"),
            ModelVersionState.Unloaded => ("END", "OK"),
            _ => ("END", "UNKNOWN"),
        };
        // A version that serves keeps error_code OK even when its note says a reload or a model.json edit did not apply.
        return new TfVersionStatus(version.VersionText, state, new TfStatus(code, version.Note));
    }

    private static JsonObject TensorInfos(IReadOnlyList<TensorSpec> specs)
    {
        var result = new JsonObject();
        foreach (var spec in specs)
        {
            var dims = new JsonArray();
            foreach (var d in spec.Shape)
            {
                dims.Add(new JsonObject { ["size"] = d.ToString(CultureInfo.InvariantCulture), ["name"] = "" });
            }

            result[spec.Name] = new JsonObject
            {
                ["dtype"] = DType(spec.DataType),
                ["tensor_shape"] = new JsonObject { ["dim"] = dims, ["unknown_rank"] = false },
                ["name"] = spec.Name,
            };
        }

        return result;
    }

    private static string DType(TensorDataType type) => type switch
    {
        TensorDataType.Bool => "DT_BOOL",
        TensorDataType.UInt8 => "DT_UINT8",
        TensorDataType.UInt16 => "DT_UINT16",
        TensorDataType.UInt32 => "DT_UINT32",
        TensorDataType.UInt64 => "DT_UINT64",
        TensorDataType.Int8 => "DT_INT8",
        TensorDataType.Int16 => "DT_INT16",
        TensorDataType.Int32 => "DT_INT32",
        TensorDataType.Int64 => "DT_INT64",
        TensorDataType.Fp16 => "DT_HALF",
        TensorDataType.Bf16 => "DT_BFLOAT16",
        TensorDataType.Fp32 => "DT_FLOAT",
        TensorDataType.Fp64 => "DT_DOUBLE",
        _ => "DT_STRING",
    };

    private static JsonHttpResult<TfError> Error(InferenceException ex) => TypedResults.Json(new TfError(ex.Message), statusCode: TfServingErrors.StatusCode(ex.Code));
}

/// <summary>Marks the predict endpoints, so that OpenAPI can describe their request body.</summary>
internal sealed class TfPredictEndpointMetadata;

/// <summary>Marks the classify and regress endpoints (<paramref name="Method"/>), so that OpenAPI can describe their request body.</summary>
internal sealed record TfExamplesEndpointMetadata(string Method);
