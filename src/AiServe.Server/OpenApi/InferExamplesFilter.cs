using System.Text.Json.Nodes;
using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Server.Protocols.OpenInference;
using AiServe.Server.Protocols.TfServing;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AiServe.Server.OpenApi;

/// <summary>
/// Adds one example request per loaded model to the infer operations, built from the model's warm-up sample in
/// model.json (real data) or zeros of the right shape. The document is built per request, so it follows reloads.
/// </summary>
internal sealed class InferExamplesFilter(ModelManager manager) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var v2 = metadata.OfType<InferEndpointMetadata>().Any();
        var tf = metadata.OfType<TfPredictEndpointMetadata>().Any();
        if (!v2 && !tf)
        {
            return;
        }

        ExampleRequestBody.Set(operation, context, manager, v2 ? typeof(V2InferRequestDocument) : typeof(TfPredictRequestDocument),
            v2
                ? "A V2 infer request. With the binary tensor data extension, the JSON is followed by raw tensor bytes and the Inference-Header-Content-Length header gives the JSON part's length."
                : "A TensorFlow Serving predict request: 'instances' (row format) or 'inputs' (columnar format); binary strings as {\"b64\": \"...\"}.",
            version => version.Signature is null ? null : v2 ? Example(version) : TfExample(version));
    }

    internal static JsonNode Example(ModelVersion version)
    {
        var signature = version.Signature!;
        var sample = version.Config?.Warmup is { Count: > 0 } warmup ? warmup[0] : null;
        var inputs = new JsonArray();
        foreach (var spec in signature.Inputs)
        {
            JsonNode? data;
            long[] shape;
            if (sample is not null && sample.Inputs.TryGetValue(spec.Name, out var given))
            {
                shape = given.Shape;
                data = JsonNode.Parse(given.Data.GetRawText());
            }
            else
            {
                shape = spec.Shape.Select(d => d < 0 ? 1L : d).ToArray();
                var count = TensorShape.ElementCount(shape);
                var zeros = new JsonArray();
                for (var i = 0; i < count; i++)
                {
                    zeros.Add(Zero(spec.DataType));
                }

                data = zeros;
            }

            inputs.Add(new JsonObject
            {
                ["name"] = spec.Name,
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["datatype"] = spec.DataType.ToWireName(),
                ["data"] = data,
            });
        }

        return new JsonObject { ["inputs"] = inputs };
    }

    /// <summary>The same sample as a columnar TF Serving request: each input's data nested to its shape.</summary>
    internal static JsonNode TfExample(ModelVersion version)
    {
        var inputs = new JsonObject();
        foreach (var input in Example(version)["inputs"]!.AsArray())
        {
            var shape = input!["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var flat = Flatten(input["data"]!).ToList();
            var position = 0;
            inputs[input["name"]!.GetValue<string>()] = Nest(flat, shape, 0, ref position);
        }

        return new JsonObject { ["inputs"] = inputs };
    }

    private static IEnumerable<JsonNode?> Flatten(JsonNode node) =>
        node is JsonArray array ? array.SelectMany(n => n is null ? [null] : Flatten(n)) : [node.DeepClone()];

    private static JsonNode? Nest(List<JsonNode?> flat, long[] shape, int dim, ref int position)
    {
        if (dim == shape.Length)
        {
            return flat[position++];
        }

        var array = new JsonArray();
        for (var i = 0; i < shape[dim]; i++)
        {
            array.Add(Nest(flat, shape, dim + 1, ref position));
        }

        return array;
    }

    private static JsonValue Zero(TensorDataType type) => type switch
    {
        TensorDataType.Bool => JsonValue.Create(false),
        TensorDataType.Bytes => JsonValue.Create(""),
        TensorDataType.Fp16 or TensorDataType.Bf16 or TensorDataType.Fp32 or TensorDataType.Fp64 => JsonValue.Create(0.0),
        _ => JsonValue.Create(0),
    };
}
